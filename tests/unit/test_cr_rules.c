/*
 * test_cr_rules.c - the #GP(0) rules for MOV to CR0/CR4 and XSETBV (vmx/cr_rules.c), one case
 * per rule, and the writes that flush the TLB (SDM Vol.3A 4.10.4.1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmx/cr_rules.h"
#include "vmx/vmx_defs.h"

static const struct cr_state real_mode = {CR0_ET, 0, 0, 0, false};
static const struct cr_state long64 = {CR0_PE | CR0_ET | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA, true};
#define CR4_ALLOWED 0x3727FFull & ~CR4_VMXE /* Bochs corei7_skylake_x, VMX hidden */

static void cr0_rules(void **state)
{
    (void)state;
    struct cr_state lme = real_mode;
    lme.efer = EFER_LME;
    struct cr_state compat = long64;
    compat.cs_l = false;
    assert_null(cr0_write_fault(&real_mode, CR0_PE | CR0_ET));
    assert_null(cr0_write_fault(&real_mode, CR0_PE | CR0_PG | CR0_ET));
    assert_non_null(cr0_write_fault(&real_mode, CR0_PG | CR0_ET));                /* PG without PE */
    assert_non_null(cr0_write_fault(&real_mode, CR0_NW | CR0_ET));                /* NW without CD */
    assert_null(cr0_write_fault(&real_mode, CR0_NW | CR0_CD | CR0_ET));
    assert_non_null(cr0_write_fault(&real_mode, (1ull << 32) | CR0_ET));          /* bits 63:32 */
    assert_non_null(cr0_write_fault(&lme, CR0_PE | CR0_PG));                      /* LME, PAE=0 */
    lme.cr4 = CR4_PAE;
    assert_null(cr0_write_fault(&lme, CR0_PE | CR0_PG));
    assert_non_null(cr0_write_fault(&long64, CR0_PE | CR0_ET));                   /* PG off in 64-bit code */
    assert_null(cr0_write_fault(&compat, CR0_PE | CR0_ET));                       /* allowed in compatibility mode */
    compat.cr4 |= CR4_PCIDE;
    assert_non_null(cr0_write_fault(&compat, CR0_PE | CR0_ET));                   /* PCIDE=1 */
}

static void cr4_rules(void **state)
{
    (void)state;
    assert_null(cr4_write_fault(&real_mode, CR4_PSE | CR4_OSXSAVE, CR4_ALLOWED));
    assert_non_null(cr4_write_fault(&real_mode, CR4_VMXE, CR4_ALLOWED));
    assert_non_null(cr4_write_fault(&real_mode, CR4_LA57, CR4_ALLOWED));          /* not on this CPU */
    assert_non_null(cr4_write_fault(&real_mode, 1ull << 32, CR4_ALLOWED));
    assert_non_null(cr4_write_fault(&long64, 0, CR4_ALLOWED));                    /* PAE off in IA-32e */
    assert_non_null(cr4_write_fault(&real_mode, CR4_PCIDE, CR4_ALLOWED));         /* PCIDE outside IA-32e */
    assert_null(cr4_write_fault(&long64, CR4_PAE | CR4_PCIDE, CR4_ALLOWED));
    struct cr_state pcid = long64;
    pcid.cr3 = 0x1005;
    assert_non_null(cr4_write_fault(&pcid, CR4_PAE | CR4_PCIDE, CR4_ALLOWED));    /* CR3[11:0] != 0 */
}

static void xcr0_rules(void **state)
{
    (void)state;
    uint64_t sup = 0x2E7;
    assert_null(xcr_write_fault(0, 1, sup));
    assert_null(xcr_write_fault(0, 0xE7, sup));
    assert_null(xcr_write_fault(0, 0x2E7, sup));
    assert_non_null(xcr_write_fault(1, 1, sup));
    assert_non_null(xcr_write_fault(0, 0, sup));
    assert_non_null(xcr_write_fault(0, 5, sup));
    assert_non_null(xcr_write_fault(0, 0x27, sup));
    assert_non_null(xcr_write_fault(0, 0xE3, sup));
    assert_non_null(xcr_write_fault(0, 0x103, sup));
    assert_non_null(xcr_write_fault(0, 0x0B, 0x1F));                               /* MPX bits differ */
    assert_null(xcr_write_fault(0, 0x1B, 0x1F));
}

static void tlb_flushes(void **state)
{
    (void)state;
    assert_true(cr0_write_flushes_tlb(CR0_PE | CR0_PG, CR0_PE));
    assert_false(cr0_write_flushes_tlb(CR0_PE, CR0_PE | CR0_PG));
    assert_true(cr4_write_flushes_tlb(CR4_PAE, CR4_PAE | CR4_PGE));
    assert_true(cr4_write_flushes_tlb(CR4_PAE | CR4_PCIDE, CR4_PAE));
    assert_false(cr4_write_flushes_tlb(CR4_PAE, CR4_PAE | CR4_PCIDE));
    assert_false(cr4_write_flushes_tlb(0, CR4_OSXSAVE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cr0_rules),
        cmocka_unit_test(cr4_rules),
        cmocka_unit_test(xcr0_rules),
        cmocka_unit_test(tlb_flushes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_init_reset.c - vcpu_init_reset() (vmx/vcpu_reset.c) writes the state of SDM Vol.3A 9.1,
 * Table 9-1 "IA-32 and Intel 64 Processor States Following Power-up, Reset, or INIT" (the INIT
 * column) into the fake VMCS (tests/unit/fake_vmcs.h). The expected values are the table's,
 * written out below from the manual, not vmx/init_state.c's constants; the VMCS starts full
 * of garbage from a 64-bit guest, so every field must really be written.
 *
 * (test_init_state.c checks the builder's field list; this checks what reaches the VMCS and
 * the registers outside it, through the function the INIT and SIPI paths call.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/fake_vmcs.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx_internal.h"

#define GARBAGE 0xA5A5A5A5A5A5A5A5ull
#define SIGNATURE 0x00050654u /* CPUID.1:EAX of a Skylake-X */

/* Access rights in the VMCS format (SDM 24.4.1, Table 24-2): P bit 7, DPL 6:5, S bit 4,
 * type 3:0. The table's "present, R/W, accessed" is 0x93, for CS as for the data segments:
 * with "unrestricted guest" a VM entry accepts CS of type 3 with DPL 0 (SDM 26.3.1.2 "Checks
 * on Guest Segment Registers"), and unlike a code type it carries no CS.RPL = CS.DPL check, so
 * any real-mode CS selector enters (Bochs 2.7 applies that check to code types). LDTR and TR:
 * the table gives "present, R/W"; a VM entry needs an LDT (type 2) and a busy TSS (type 11)
 * there (SDM 26.3.1.2): 0x82, 0x8B. */
#define AR_P (1u << 7)
#define AR_S (1u << 4)
#define AR_DATA_RW_ACCESSED (AR_P | AR_S | 0x3u)
#define AR_LDT (AR_P | 0x2u)
#define AR_TSS_BUSY (AR_P | 0xBu)

static struct vcpu *v;

/* A 64-bit guest just before its INIT: paging, caches off (CD, NW), long mode. */
static void long_mode_guest(void)
{
    fake_reset();
    v = &vmx.vcpus[1];
    for (uint32_t f = 0; f < FAKE_VMCS_FIELDS; f++)
        fake_vmcs[f] = GARBAGE;
    fake_vmcs[VMCS_CR0_GUEST_HOST_MASK] = vmx.cr0_mask;
    fake_vmcs[VMCS_CR4_GUEST_HOST_MASK] = vmx.cr4_mask;
    uint64_t cr0 = CR0_PG | CR0_CD | CR0_NW | CR0_WP | CR0_NE | CR0_ET | CR0_PE;
    fake_vmcs[VMCS_GUEST_CR0] = cr0;
    fake_vmcs[VMCS_CR0_READ_SHADOW] = cr0 & vmx.cr0_mask;
    fake_vmcs[VMCS_CTRL_PROC_BASED2] = SECONDARY_UNRESTRICTED_GUEST | SECONDARY_ENABLE_EPT;
    fake_vmcs[VMCS_CTRL_ENTRY] = ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_IA32_EFER | 0x11FFu;
    memset(fake_vmcs_written, 0, sizeof(fake_vmcs_written));
    for (unsigned i = 0; i < GPR_COUNT; i++)
        v->gpr[i] = GARBAGE;
    for (unsigned i = 0; i < 8; i++)
        fake_cpu.dr[i] = GARBAGE;
    fake_cpu.cr2 = GARBAGE;
    fake_cpuid_set(1, 0, SIGNATURE, 0, 0, 0);
    v->idt_info = INTR_INFO_VALID | INTR_TYPE_HARDWARE_EXCEPTION | 14;
    v->event_set = true;
    v->held[0] = 0x30, v->nheld = 1;
}

/* The field was written, and holds want. */
static void written(uint32_t field, uint64_t want)
{
    if (!fake_vmcs_written[field])
        fail_msg("VMCS field 0x%04x not written by the INIT", field);
    if (fake_vmcs[field] != want)
        fail_msg("VMCS field 0x%04x = 0x%llx, Table 9-1 wants 0x%llx", field, (unsigned long long)fake_vmcs[field],
                 (unsigned long long)want);
}

static void data_segment(uint32_t sel, uint32_t base, uint32_t limit, uint32_t ar)
{
    written(sel, 0);
    written(base, 0);
    written(limit, 0xFFFF);
    written(ar, AR_DATA_RW_ACCESSED);
}

/* The rows that do not depend on the restart point. */
static void check_table_9_1(void)
{
    written(VMCS_GUEST_RFLAGS, 0x00000002);                 /* EFLAGS 00000002H */
    /* CR0: CD and NW unchanged, ET set, all others clear: what the guest reads (SDM 25.3);
     * underneath, NE stays 1 as IA32_VMX_CR0_FIXED0 demands (SDM A.7, PE/PG exempt with
     * unrestricted guest, 26.3.1.1), hidden by the guest/host mask */
    uint64_t m0 = fake_vmcs[VMCS_CR0_GUEST_HOST_MASK];
    uint64_t cr0_seen = (fake_vmcs[VMCS_GUEST_CR0] & ~m0) | (fake_vmcs[VMCS_CR0_READ_SHADOW] & m0);
    assert_int_equal(cr0_seen, CR0_CD | CR0_NW | CR0_ET);
    assert_int_equal(fake_vmcs[VMCS_GUEST_CR0], CR0_CD | CR0_NW | CR0_ET | CR0_NE);
    assert_true(fake_vmcs_written[VMCS_CR0_READ_SHADOW]);
    /* CR2, CR3, CR4: 00000000H (CR4.VMXE stays under the mask, SDM A.8) */
    assert_int_equal(fake_cpu.cr2, 0);
    written(VMCS_GUEST_CR3, 0);
    uint64_t m4 = fake_vmcs[VMCS_CR4_GUEST_HOST_MASK];
    assert_int_equal((fake_vmcs[VMCS_GUEST_CR4] & ~m4) | (fake_vmcs[VMCS_CR4_READ_SHADOW] & m4), 0);
    assert_int_equal(fake_vmcs[VMCS_GUEST_CR4], CR4_VMXE);
    /* SS, DS, ES, FS, GS: selector 0000H, base 0, limit FFFFH, present, R/W, accessed */
    data_segment(VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_ACCESS_RIGHTS);
    data_segment(VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_ACCESS_RIGHTS);
    data_segment(VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_ACCESS_RIGHTS);
    data_segment(VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_ACCESS_RIGHTS);
    data_segment(VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_ACCESS_RIGHTS);
    /* CS limit FFFFH, present, R/W (execute/read for code), accessed */
    written(VMCS_GUEST_CS_LIMIT, 0xFFFF);
    written(VMCS_GUEST_CS_ACCESS_RIGHTS, AR_DATA_RW_ACCESSED);
    /* EDX: the processor signature (CPUID.1:EAX); EAX 0; EBX ECX ESI EDI EBP ESP 0; R8-R15 0 */
    for (unsigned i = 0; i < GPR_COUNT; i++)
        assert_int_equal(v->gpr[i], i == GPR_RDX ? SIGNATURE : 0);
    written(VMCS_GUEST_RSP, 0);
    /* GDTR, IDTR: base 0, limit FFFFH */
    written(VMCS_GUEST_GDTR_BASE, 0);
    written(VMCS_GUEST_GDTR_LIMIT, 0xFFFF);
    written(VMCS_GUEST_IDTR_BASE, 0);
    written(VMCS_GUEST_IDTR_LIMIT, 0xFFFF);
    /* LDTR, TR: selector 0, base 0, limit FFFFH, present */
    written(VMCS_GUEST_LDTR_SELECTOR, 0);
    written(VMCS_GUEST_LDTR_BASE, 0);
    written(VMCS_GUEST_LDTR_LIMIT, 0xFFFF);
    written(VMCS_GUEST_LDTR_ACCESS_RIGHTS, AR_LDT);
    written(VMCS_GUEST_TR_SELECTOR, 0);
    written(VMCS_GUEST_TR_BASE, 0);
    written(VMCS_GUEST_TR_LIMIT, 0xFFFF);
    written(VMCS_GUEST_TR_ACCESS_RIGHTS, AR_TSS_BUSY);
    /* DR0-DR3 0, DR6 FFFF0FF0H (not VMCS fields: the registers), DR7 00000400H */
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(fake_cpu.dr[i], 0);
    assert_int_equal(fake_cpu.dr[6], 0xFFFF0FF0u);
    written(VMCS_GUEST_DR7, 0x400);
    /* IA32_EFER 0, so EFER.LMA = 0: VM entry needs "IA-32e mode guest" = LMA (SDM 26.3.1.1) */
    written(VMCS_GUEST_IA32_EFER, 0);
    assert_false(fake_vmcs[VMCS_CTRL_ENTRY] & ENTRY_IA32E_MODE_GUEST);
    assert_int_equal(fake_vmcs[VMCS_CTRL_ENTRY], ENTRY_LOAD_IA32_EFER | 0x11FFu); /* the rest kept */

    /* The VMX side: no blocking (SDM 24.4.2), no pending debug exception, no event injected
     * into the fresh CPU (24.8.3 valid bit 0), active (vmxlab models wait-for-SIPI itself) */
    written(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);
    written(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
    assert_false(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & INTR_INFO_VALID);
    written(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    assert_int_equal(v->idt_info, 0);    /* an interrupted delivery is not re-injected */
    assert_false(v->event_set);
    assert_int_equal(v->nheld, 1);       /* a device's interrupt is still owed to the guest */
    assert_int_equal(fake_cpu.flush_tlb, 1);
    assert_int_equal(v->init_count, 1);
}

/* init=reset-vector: CS selector F000H, base FFFF0000H, EIP 0000FFF0H (Table 9-1). */
static void test_init_reset_vector(void **s)
{
    (void)s;
    long_mode_guest();
    struct vcpu_start start = {0xF000, 0xFFFF0000u, 0xFFF0};
    vcpu_init_reset(v, &start);
    written(VMCS_GUEST_CS_SELECTOR, 0xF000);
    written(VMCS_GUEST_CS_BASE, 0xFFFF0000u);
    written(VMCS_GUEST_RIP, 0xFFF0);
    check_table_9_1();
}

/* init=entry: the guest image's entry point (a real-mode CS: base = selector * 16), the
 * rest of the table unchanged. */
static void test_init_entry_point(void **s)
{
    (void)s;
    long_mode_guest();
    struct vcpu_start start = {0x07C0, 0x7C00, 0x0010};
    vcpu_init_reset(v, &start);
    written(VMCS_GUEST_CS_SELECTOR, 0x07C0);
    written(VMCS_GUEST_CS_BASE, 0x7C00);
    written(VMCS_GUEST_RIP, 0x0010);
    check_table_9_1();
}

/* CD and NW clear before the INIT: clear after it (unchanged), ET set. */
static void test_init_keeps_cd_nw_clear(void **s)
{
    (void)s;
    long_mode_guest();
    fake_vmcs[VMCS_GUEST_CR0] = CR0_PG | CR0_PE | CR0_NE | CR0_ET;
    fake_vmcs[VMCS_CR0_READ_SHADOW] = (CR0_PG | CR0_PE | CR0_ET) & vmx.cr0_mask;
    struct vcpu_start start = {0xF000, 0xFFFF0000u, 0xFFF0};
    vcpu_init_reset(v, &start);
    uint64_t m0 = fake_vmcs[VMCS_CR0_GUEST_HOST_MASK];
    assert_int_equal((fake_vmcs[VMCS_GUEST_CR0] & ~m0) | (fake_vmcs[VMCS_CR0_READ_SHADOW] & m0), CR0_ET);
}

/* With the per-vCPU cache (v->init_cache, built at setup by vcpu_init_prepare): a later INIT
 * at another restart point writes that point, not the one of the build, and the whole table
 * again (the VMCS is garbage in between); a guest that cleared CD and NW since gets them
 * clear (the cache is rebuilt for the new inputs). */
static void test_init_with_prepared_state(void **s)
{
    (void)s;
    static _Alignas(4096) unsigned char page[4096];
    long_mode_guest();
    v->init_cache = (struct init_cache *)page;
    vcpu_init_prepare(v);
    struct vcpu_start start = {0x07C0, 0x7C00, 0x0010};
    vcpu_init_reset(v, &start);
    written(VMCS_GUEST_CS_SELECTOR, 0x07C0);
    written(VMCS_GUEST_CS_BASE, 0x7C00);
    written(VMCS_GUEST_RIP, 0x0010);
    check_table_9_1();

    long_mode_guest();
    v->init_cache = (struct init_cache *)page;
    struct vcpu_start reset = {0xF000, 0xFFFF0000u, 0xFFF0};
    vcpu_init_reset(v, &reset);
    written(VMCS_GUEST_CS_SELECTOR, 0xF000);
    written(VMCS_GUEST_CS_BASE, 0xFFFF0000u);
    written(VMCS_GUEST_RIP, 0xFFF0);
    check_table_9_1();

    long_mode_guest();
    v->init_cache = (struct init_cache *)page;
    fake_vmcs[VMCS_GUEST_CR0] = CR0_PG | CR0_PE | CR0_NE | CR0_ET;
    fake_vmcs[VMCS_CR0_READ_SHADOW] = (CR0_PG | CR0_PE | CR0_ET) & vmx.cr0_mask;
    vcpu_init_reset(v, &reset);
    uint64_t m0 = fake_vmcs[VMCS_CR0_GUEST_HOST_MASK];
    assert_int_equal((fake_vmcs[VMCS_GUEST_CR0] & ~m0) | (fake_vmcs[VMCS_CR0_READ_SHADOW] & m0), CR0_ET);
    v->init_cache = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_reset_vector),
        cmocka_unit_test(test_init_entry_point),
        cmocka_unit_test(test_init_keeps_cd_nw_clear),
        cmocka_unit_test(test_init_with_prepared_state),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}

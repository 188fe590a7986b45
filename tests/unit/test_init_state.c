/*
 * test_init_state.c - the INIT state builder against SDM Vol.3A 9.1 Table 9-1, restated here
 * independently of vmx/init_state.c: every row, both restart points, CD/NW kept, CR0.NE set
 * underneath the read shadow, EDX = processor signature, the VMX-side fields.
 *
 * gcc -std=gnu11 -Wall -Wextra -Werror -I. tests/unit/test_init_state.c vmx/init_state.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/init_state.h"
#include "vmx/vmx_defs.h"

#define MAXF 128
/* Bochs corei7_skylake_x: CR0 FIXED0 80000021 adjusted for unrestricted guest = NE only;
 * CR4 FIXED0 2000 (VMXE), FIXED1 3727ff (docs/bochs.md). */
#define CR0_FIXED0_UG CR0_NE
#define SIGNATURE 0x00050654u /* a Skylake-X CPUID.1:EAX */
#define ENTRY_CTLS_LONG (ENTRY_LOAD_IA32_EFER | ENTRY_IA32E_MODE_GUEST | 0x11FBu)

static struct init_params params_reset_vector(void)
{
    return (struct init_params){
        .cs_selector = INIT_RESET_CS_SELECTOR, .cs_base = INIT_RESET_CS_BASE, .rip = INIT_RESET_RIP,
        .old_cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG, .signature = SIGNATURE,
        .cr0_fixed0 = CR0_FIXED0_UG, .cr0_fixed1 = 0xFFFFFFFFull,
        .cr4_fixed0 = CR4_VMXE, .cr4_fixed1 = 0x3727FFull,
        .entry_controls = ENTRY_CTLS_LONG, .activity_state = GUEST_ACTIVITY_ACTIVE,
    };
}

static struct init_params params_entry(void)
{
    struct init_params p = params_reset_vector();
    p.cs_selector = 0; p.cs_base = 0; p.rip = 0x7C00;
    return p;
}

struct built {
    struct init_field f[MAXF];
    size_t n;
    struct init_regs regs;
};

static void build(const struct init_params *p, struct built *b)
{
    b->n = init_state_build(p, b->f, MAXF);
    assert_true(b->n > 0 && b->n <= MAXF);
    init_state_regs(p, &b->regs);
}

/* The value written to a field; fails when the field is not written exactly once. */
static uint64_t field(const struct built *b, uint32_t enc)
{
    int hits = 0;
    uint64_t v = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->f[i].field == enc) {
            hits++;
            v = b->f[i].value;
        }
    if (hits != 1)
        fail_msg("VMCS field 0x%04x written %d times", enc, hits);
    return v;
}

static void check_segment(const struct built *b, uint32_t sel, uint32_t base, uint32_t limit, uint32_t ar,
                          uint64_t want_sel, uint64_t want_base, uint64_t want_ar)
{
    assert_int_equal(field(b, sel), want_sel);
    assert_int_equal(field(b, base), want_base);
    assert_int_equal(field(b, limit), 0xFFFF);
    assert_int_equal(field(b, ar), want_ar);
}

/* Every row of Table 9-1's INIT column that lives in the VMCS or the GPRs. */
static void check_common_rows(const struct built *b)
{
    assert_int_equal(field(b, VMCS_GUEST_RFLAGS), 0x2);                          /* EFLAGS 00000002H */
    assert_int_equal(field(b, VMCS_GUEST_CR3), 0);                               /* CR3 0 */
    assert_int_equal(field(b, VMCS_CR4_READ_SHADOW), 0);                         /* CR4 0 as seen */
    assert_int_equal(field(b, VMCS_GUEST_CR4), CR4_VMXE);                        /* VMXE underneath */
    check_segment(b, VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT,
                  VMCS_GUEST_SS_ACCESS_RIGHTS, 0, 0, 0x93);
    check_segment(b, VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT,
                  VMCS_GUEST_DS_ACCESS_RIGHTS, 0, 0, 0x93);
    check_segment(b, VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT,
                  VMCS_GUEST_ES_ACCESS_RIGHTS, 0, 0, 0x93);
    check_segment(b, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT,
                  VMCS_GUEST_FS_ACCESS_RIGHTS, 0, 0, 0x93);
    check_segment(b, VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT,
                  VMCS_GUEST_GS_ACCESS_RIGHTS, 0, 0, 0x93);
    assert_int_equal(field(b, VMCS_GUEST_GDTR_BASE), 0);                         /* GDTR, IDTR */
    assert_int_equal(field(b, VMCS_GUEST_GDTR_LIMIT), 0xFFFF);
    assert_int_equal(field(b, VMCS_GUEST_IDTR_BASE), 0);
    assert_int_equal(field(b, VMCS_GUEST_IDTR_LIMIT), 0xFFFF);
    check_segment(b, VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_BASE, VMCS_GUEST_LDTR_LIMIT,
                  VMCS_GUEST_LDTR_ACCESS_RIGHTS, 0, 0, 0x82);                   /* LDTR */
    check_segment(b, VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT,
                  VMCS_GUEST_TR_ACCESS_RIGHTS, 0, 0, 0x8B);                     /* TR */
    assert_int_equal(field(b, VMCS_GUEST_DR7), 0x400);                           /* DR7 00000400H */
    assert_int_equal(field(b, VMCS_GUEST_IA32_EFER), 0);                         /* EFER 0 */
    assert_int_equal(field(b, VMCS_GUEST_RSP), 0);                               /* ESP 0 */

    /* registers outside the VMCS */
    assert_int_equal(b->regs.cpu[INIT_REG_CR2], 0);
    assert_int_equal(b->regs.cpu[INIT_REG_DR0], 0);
    assert_int_equal(b->regs.cpu[INIT_REG_DR1], 0);
    assert_int_equal(b->regs.cpu[INIT_REG_DR2], 0);
    assert_int_equal(b->regs.cpu[INIT_REG_DR3], 0);
    assert_int_equal(b->regs.cpu[INIT_REG_DR6], 0xFFFF0FF0u);
    for (unsigned r = 0; r < GPR_COUNT; r++)
        if (r != GPR_RDX)
            assert_int_equal(b->regs.gpr[r], 0);                                 /* EAX..R15 0 */
    assert_int_equal(b->regs.gpr[GPR_RDX], SIGNATURE);                           /* EDX signature */

    /* the VMX side */
    assert_int_equal(field(b, VMCS_GUEST_ACTIVITY_STATE), GUEST_ACTIVITY_ACTIVE);
    assert_int_equal(field(b, VMCS_GUEST_INTERRUPTIBILITY_STATE), 0);
    assert_int_equal(field(b, VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS), 0);
    assert_int_equal(field(b, VMCS_ENTRY_INTERRUPTION_INFO), 0);
    assert_int_equal(field(b, VMCS_CTRL_ENTRY), ENTRY_CTLS_LONG & ~ENTRY_IA32E_MODE_GUEST);
}

static void test_reset_vector(void **s)
{
    (void)s;
    struct init_params p = params_reset_vector();
    struct built b;
    build(&p, &b);
    check_common_rows(&b);
    check_segment(&b, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT,
                  VMCS_GUEST_CS_ACCESS_RIGHTS, 0xF000, 0xFFFF0000u, 0x93);
    assert_int_equal(field(&b, VMCS_GUEST_RIP), 0xFFF0);
}

static void test_entry_point(void **s)
{
    (void)s;
    struct init_params p = params_entry();
    struct built b;
    build(&p, &b);
    check_common_rows(&b);
    check_segment(&b, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT,
                  VMCS_GUEST_CS_ACCESS_RIGHTS, 0, 0, 0x93);
    assert_int_equal(field(&b, VMCS_GUEST_RIP), 0x7C00);

    p.cs_selector = 0x0800; p.cs_base = 0x8000; p.rip = 0x10;   /* guest.entry=0800:0010 */
    build(&p, &b);
    check_segment(&b, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT,
                  VMCS_GUEST_CS_ACCESS_RIGHTS, 0x0800, 0x8000, 0x93);
    assert_int_equal(field(&b, VMCS_GUEST_RIP), 0x10);
}

/* CR0: CD and NW unchanged, ET set, all else clear - as the guest sees it (the shadow). */
static void test_cr0_cd_nw_kept(void **s)
{
    (void)s;
    struct init_params p = params_entry();
    struct built b;
    static const uint64_t olds[] = {
        0,
        CR0_PE | CR0_ET | CR0_NE | CR0_PG | CR0_WP | CR0_AM | CR0_MP | CR0_TS,
        CR0_CD | CR0_NW | CR0_PE | CR0_ET,
        CR0_CD | CR0_ET,
        0x60000010u, /* the power-up value: CD NW ET */
    };
    for (size_t i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
        p.old_cr0 = olds[i];
        build(&p, &b);
        uint64_t want = (olds[i] & (CR0_CD | CR0_NW)) | CR0_ET;
        assert_int_equal(init_state_cr0(olds[i]), want);
        assert_int_equal(field(&b, VMCS_CR0_READ_SHADOW), want);
        assert_int_equal(field(&b, VMCS_GUEST_CR0), want | CR0_NE);
    }
}

/* Unrestricted guest: PE and PG exempt, NE must stay 1 under the shadow (SDM 26.3.1.1). */
static void test_cr0_ne_underneath(void **s)
{
    (void)s;
    struct init_params p = params_entry();
    struct built b;
    p.old_cr0 = CR0_PE | CR0_NE | CR0_ET | CR0_PG;
    build(&p, &b);
    uint64_t guest = field(&b, VMCS_GUEST_CR0), shadow = field(&b, VMCS_CR0_READ_SHADOW);
    assert_true(guest & CR0_NE);
    assert_false(shadow & CR0_NE);
    assert_false(guest & (CR0_PE | CR0_PG));
    assert_int_equal(shadow, CR0_ET);
    assert_int_equal(guest, CR0_ET | CR0_NE);

    /* without unrestricted guest the caller passes the raw FIXED0 (PE, NE, PG): all forced */
    p.cr0_fixed0 = 0x80000021u;
    build(&p, &b);
    assert_int_equal(field(&b, VMCS_GUEST_CR0), CR0_ET | CR0_NE | CR0_PE | CR0_PG);
    assert_int_equal(field(&b, VMCS_CR0_READ_SHADOW), CR0_ET);
}

static void test_edx_signature(void **s)
{
    (void)s;
    struct init_params p = params_entry();
    struct init_regs r;
    p.signature = 0x000906EAu;
    init_state_regs(&p, &r);
    assert_int_equal(r.gpr[GPR_RDX], 0x000906EAu);
    assert_int_equal(r.gpr[GPR_RAX], 0);
}

static void test_entry_controls(void **s)
{
    (void)s;
    struct init_params p = params_entry();
    struct built b;
    p.entry_controls = ENTRY_LOAD_IA32_EFER | 0x11FB;       /* already real mode: unchanged */
    build(&p, &b);
    assert_int_equal(field(&b, VMCS_CTRL_ENTRY), ENTRY_LOAD_IA32_EFER | 0x11FB);
}

/* Short buffer: the count is still the full count, and nothing past max is written. */
static void test_short_buffer(void **s)
{
    (void)s;
    struct init_params p = params_entry();
    struct init_field f[4];
    memset(f, 0xAA, sizeof(f));
    size_t full = init_state_build(&p, NULL, 0);
    assert_true(full > 40);
    assert_int_equal(init_state_build(&p, f, 3), full);
    assert_int_equal(f[3].field, 0xAAAAAAAAu);
    assert_int_equal(f[0].field, VMCS_GUEST_RFLAGS);
    assert_string_equal(f[0].item, "EFLAGS");
}

/* Every row names its table item and carries at least one item; every VMCS field is
 * written once (no row shadows another). */
static void test_table_shape(void **s)
{
    (void)s;
    assert_true(init_table_rows >= 20);
    for (size_t r = 0; r < init_table_rows; r++) {
        assert_non_null(init_table[r].item);
        assert_non_null(init_table[r].after_init);
        assert_true(init_table[r].nitems >= 1 && init_table[r].nitems <= INIT_ROW_ITEMS);
    }
    struct init_params p = params_entry();
    struct built b;
    build(&p, &b);
    for (size_t i = 0; i < b.n; i++)
        for (size_t j = i + 1; j < b.n; j++)
            if (b.f[i].field == b.f[j].field)
                fail_msg("field 0x%04x written twice (%s, %s)", b.f[i].field, b.f[i].item, b.f[j].item);
    /* the CR0 row records the power-up difference */
    for (size_t r = 0; r < init_table_rows; r++)
        if (strcmp(init_table[r].item, "CR0") == 0)
            assert_string_equal(init_table[r].powerup, "60000010H");
    assert_true(init_unchanged_count >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_vector),
        cmocka_unit_test(test_entry_point),
        cmocka_unit_test(test_cr0_cd_nw_kept),
        cmocka_unit_test(test_cr0_ne_underneath),
        cmocka_unit_test(test_edx_signature),
        cmocka_unit_test(test_entry_controls),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_table_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_insn_emulate.c - host unit tests for the emulation helpers in
 * vmx/insn_decode.c: insn_apply_load, insn_store_value refusals,
 * insn_effective_offset, insn_string_advance and insn_update_rflags.
 *
 * Build and run from the repository root:
 *   gcc -std=c11 -Wall -Wextra -Werror -I. tests/unit/test_insn_emulate.c \
 *       vmx/insn_decode.c -lcmocka -o /tmp/te && /tmp/te
 */
#include "insn_test_common.h"

/* ---------------------------------------------------------------------
 * Loads: x86 partial-register write rules
 * ------------------------------------------------------------------- */

/* Decode, apply a load of `value`, return the resulting register file. */
static void load(enum insn_mode mode, const uint8_t *b, size_t n,
                 uint32_t value, uint64_t regs[8])
{
    struct insn in;
    assert_int_equal(insn_decode(b, n, mode, &in), INSN_OK);
    memcpy(regs, REGS, sizeof(REGS));
    assert_true(insn_apply_load(&in, regs, value));
}

static void test_load_8bit_low_and_high(void **state)
{
    static const uint8_t mov_al[] = { 0x8a, 0x06, 0x00, 0x03 }; /* 000 110 */
    static const uint8_t mov_ah[] = { 0x8a, 0x26, 0x00, 0x03 }; /* 100 110 */
    static const uint8_t mov_bh[] = { 0x8a, 0x3e, 0x00, 0x03 }; /* 111 110 */
    uint64_t r[8];
    (void)state;

    load(M16, mov_al, sizeof(mov_al), 0x123456ab, r);  /* only 0xab kept */
    assert_int_equal(r[INSN_RAX], 0x11111111876543abull);

    load(M16, mov_ah, sizeof(mov_ah), 0xab, r);
    assert_int_equal(r[INSN_RAX], 0x111111118765ab21ull);
    assert_int_equal(r[INSN_RSP], REGS[INSN_RSP]);   /* not SPL/RSP */

    load(M16, mov_bh, sizeof(mov_bh), 0xcd, r);
    assert_int_equal(r[INSN_RBX], 0xcd00ull);
    assert_int_equal(r[INSN_RDI], REGS[INSN_RDI]);
}

static void test_load_16bit_preserves_upper(void **state)
{
    static const uint8_t mov_cx[] = { 0x8b, 0x0e, 0x00, 0x03 }; /* 001 110 */
    uint64_t r[8];
    (void)state;
    load(M16, mov_cx, sizeof(mov_cx), 0xfffe5555, r);
    assert_int_equal(r[INSN_RCX], 0x22222222cafe5555ull);
}

static void test_load_32bit_zero_extends(void **state)
{
    static const uint8_t mov_edx[] = { 0x8b, 0x15, 0x00, 0x03, 0x00, 0x00 };
    uint64_t r[8];
    (void)state;
    load(M32, mov_edx, sizeof(mov_edx), 0x80000001, r);
    assert_int_equal(r[INSN_RDX], 0x0000000080000001ull);
}

static void test_load_movzx_movsx(void **state)
{
    static const uint8_t movzx_eax_b[] = { 0x0f, 0xb6, 0x05, 0, 3, 0, 0 };
    static const uint8_t movsx_ecx_w[] = { 0x0f, 0xbf, 0x08 };
    static const uint8_t movsx_cx_b[] = { 0x0f, 0xbe, 0x0e, 0x00, 0x03 };
    static const uint8_t movzx_ax_b[] = { 0x0f, 0xb6, 0x06, 0x00, 0x03 };
    uint64_t r[8];
    (void)state;

    load(M32, movzx_eax_b, sizeof(movzx_eax_b), 0xffffff80, r);
    assert_int_equal(r[INSN_RAX], 0x80ull);
    load(M32, movsx_ecx_w, sizeof(movsx_ecx_w), 0x8001, r);
    assert_int_equal(r[INSN_RCX], 0xffff8001ull);
    load(M32, movsx_ecx_w, sizeof(movsx_ecx_w), 0x7001, r);
    assert_int_equal(r[INSN_RCX], 0x7001ull);
    /* 16-bit destination: sign-extend to 16 bits, keep bits 63:16 */
    load(M16, movsx_cx_b, sizeof(movsx_cx_b), 0x80, r);
    assert_int_equal(r[INSN_RCX], 0x22222222cafeff80ull);
    load(M16, movzx_ax_b, sizeof(movzx_ax_b), 0x1ff, r);
    assert_int_equal(r[INSN_RAX], 0x11111111876500ffull);
}

static void test_load_lods_and_xchg(void **state)
{
    static const uint8_t lodsd[] = { 0xad };
    static const uint8_t lodsw16[] = { 0xad };
    static const uint8_t xchg_bh[] = { 0x86, 0x38 };
    uint64_t r[8];
    (void)state;

    load(M32, lodsd, sizeof(lodsd), 0xfee00000, r);
    assert_int_equal(r[INSN_RAX], 0xfee00000ull);
    load(M16, lodsw16, sizeof(lodsw16), 0xabcd1234, r);
    assert_int_equal(r[INSN_RAX], 0x1111111187651234ull);
    load(M16, xchg_bh, sizeof(xchg_bh), 0x77, r);      /* BH <- old mem */
    assert_int_equal(r[INSN_RBX], 0x7700ull);
}

static void test_load_refused_for_non_loads(void **state)
{
    static const uint8_t store[] = { 0x89, 0x03 };
    static const uint8_t cmp[] = { 0x39, 0x16 };
    static const uint8_t or_imm[] = { 0x83, 0x0b, 0x01 };
    const uint8_t *enc[] = { store, cmp, or_imm };
    const size_t len[] = { sizeof(store), sizeof(cmp), sizeof(or_imm) };
    (void)state;

    for (size_t k = 0; k < 3; k++) {
        struct insn in;
        uint64_t r[8];
        memcpy(r, REGS, sizeof(r));
        assert_int_equal(insn_decode(enc[k], len[k], M32, &in), INSN_OK);
        assert_false(insn_apply_load(&in, r, 0x12345678));
        assert_memory_equal(r, REGS, sizeof(r));
    }
}

static void test_store_refused_for_pure_reads(void **state)
{
    static const uint8_t mov_load[] = { 0x8b, 0x03 };
    struct insn in;
    uint64_t v = 7;
    (void)state;
    assert_int_equal(insn_decode(mov_load, 2, M32, &in), INSN_OK);
    assert_false(insn_store_value(&in, REGS, OLD, &v));
    assert_int_equal(v, 7);
}

/* ---------------------------------------------------------------------
 * Effective addresses
 * ------------------------------------------------------------------- */

static uint32_t ea_with(enum insn_mode mode, const uint8_t *b, size_t n,
                        const uint64_t regs[8], uint8_t *seg)
{
    struct insn in;
    assert_int_equal(insn_decode(b, n, mode, &in), INSN_OK);
    if (seg)
        *seg = in.seg;
    return insn_effective_offset(&in, regs);
}

static void test_ea_16bit_wraps_at_64k(void **state)
{
    /* mov ax, [bx+si+0xfff0]: 10 000 000 + disp16 */
    static const uint8_t b[] = { 0x8b, 0x80, 0xf0, 0xff };
    uint64_t r[8] = { 0 };
    (void)state;
    r[INSN_RBX] = 0xfff0;
    r[INSN_RSI] = 0x30;
    assert_int_equal(ea_with(M16, b, sizeof(b), r, NULL), 0x0010);
    /* bits above 15 of BX/SI are not part of a 16-bit address */
    r[INSN_RBX] = 0xabcd0000;
    r[INSN_RSI] = 0x12340020;
    assert_int_equal(ea_with(M16, b, sizeof(b), r, NULL), 0x0010);
}

static void test_ea_32bit_wraps_at_4g(void **state)
{
    static const uint8_t b[] = { 0x8b, 0x40, 0x10 };   /* [eax+0x10] */
    uint64_t r[8] = { 0 };
    (void)state;
    r[INSN_RAX] = 0xfffffff8;
    assert_int_equal(ea_with(M32, b, sizeof(b), r, NULL), 0x8);
}

static void test_ea_sib_scale8(void **state)
{
    /* mov eax, [ebx+ecx*8+4]: 01 000 100, SIB 11 001 011 */
    static const uint8_t b[] = { 0x8b, 0x44, 0xcb, 0x04 };
    uint64_t r[8] = { 0 };
    uint8_t seg;
    (void)state;
    r[INSN_RBX] = 0xfee00000;
    r[INSN_RCX] = 0x60;
    assert_int_equal(ea_with(M32, b, sizeof(b), r, &seg), 0xfee00304);
    assert_int_equal(seg, INSN_SEG_DS);
}

static void test_ea_bp_default_segment(void **state)
{
    static const uint8_t bp_di[] = { 0x8b, 0x03 };        /* [bp+di] */
    static const uint8_t disp16[] = { 0x8b, 0x06, 0x00, 0x03 }; /* not BP */
    static const uint8_t bp_0[] = { 0x8b, 0x46, 0x00 };   /* [bp+0] */
    uint8_t seg;
    (void)state;
    assert_int_equal(ea_with(M16, bp_di, 2, REGS, &seg), 0x2300);
    assert_int_equal(seg, INSN_SEG_SS);
    assert_int_equal(ea_with(M16, disp16, 4, REGS, &seg), 0x300);
    assert_int_equal(seg, INSN_SEG_DS);
    assert_int_equal(ea_with(M16, bp_0, 3, REGS, &seg), 0x2000);
    assert_int_equal(seg, INSN_SEG_SS);
}

static void test_ea_string_uses_address_size(void **state)
{
    static const uint8_t stosb[] = { 0xaa };
    uint64_t r[8] = { 0 };
    (void)state;
    r[INSN_RDI] = 0xabcd0300;
    assert_int_equal(ea_with(M16, stosb, 1, r, NULL), 0x300);
    assert_int_equal(ea_with(M32, stosb, 1, r, NULL), 0xabcd0300);
}

/* ---------------------------------------------------------------------
 * String instructions: pointer step, REP count, RIP advance decision
 * ------------------------------------------------------------------- */

#define DF (1u << 10)

static void test_string_stosb_steps_di(void **state)
{
    static const uint8_t stosb[] = { 0xaa };
    struct insn in;
    uint64_t r[8] = { 0 };
    (void)state;
    assert_int_equal(insn_decode(stosb, 1, M32, &in), INSN_OK);
    r[INSN_RDI] = 0x300;
    r[INSN_RCX] = 5;
    assert_true(insn_string_advance(&in, r, 0x2));
    assert_int_equal(r[INSN_RDI], 0x301);
    assert_int_equal(r[INSN_RCX], 5);              /* no REP: untouched */
    assert_true(insn_string_advance(&in, r, 0x2 | DF));
    assert_int_equal(r[INSN_RDI], 0x300);
}

static void test_string_rep_stosd_16bit(void **state)
{
    static const uint8_t rep_stosd[] = { 0xf3, 0x66, 0xab };
    struct insn in;
    uint64_t r[8] = { 0 };
    (void)state;
    assert_int_equal(insn_decode(rep_stosd, 3, M16, &in), INSN_OK);
    r[INSN_RDI] = 0x5555fffe;      /* DI wraps, bits 31:16 untouched */
    r[INSN_RCX] = 0x77770002;      /* count is CX (address size 16) */
    assert_false(insn_string_advance(&in, r, 0x2));  /* CX 2 -> 1 */
    assert_int_equal(r[INSN_RDI], 0x55550002);
    assert_int_equal(r[INSN_RCX], 0x77770001);
    assert_true(insn_string_advance(&in, r, 0x2));   /* CX 1 -> 0 */
    assert_int_equal(r[INSN_RDI], 0x55550006);
    assert_int_equal(r[INSN_RCX], 0x77770000);
}

static void test_string_rep_count_follows_address_size(void **state)
{
    static const uint8_t rep_stosb_a32[] = { 0xf3, 0x67, 0xaa };
    static const uint8_t rep_stosb_a16[] = { 0xf3, 0xaa };
    struct insn in;
    uint64_t r[8] = { 0 };
    (void)state;
    /* 67 in 16-bit mode: ECX is the count, 0x10000 -> 0xffff, keep going */
    assert_int_equal(insn_decode(rep_stosb_a32, 3, M16, &in), INSN_OK);
    r[INSN_RCX] = 0x10000;
    assert_false(insn_string_advance(&in, r, 0x2));
    assert_int_equal(r[INSN_RCX], 0xffff);
    /* 16-bit count: only CX is decremented and wraps (CX=0 would never
     * reach us on real hardware, but the arithmetic must stay 16-bit) */
    assert_int_equal(insn_decode(rep_stosb_a16, 2, M16, &in), INSN_OK);
    r[INSN_RCX] = 0x30000;
    assert_false(insn_string_advance(&in, r, 0x2));
    assert_int_equal(r[INSN_RCX], 0x3ffff);
}

static void test_string_lodsd_32bit_df(void **state)
{
    static const uint8_t lodsd[] = { 0xad };
    struct insn in;
    uint64_t r[8] = { 0 };
    (void)state;
    assert_int_equal(insn_decode(lodsd, 1, M32, &in), INSN_OK);
    r[INSN_RSI] = 0x2;
    assert_true(insn_string_advance(&in, r, DF));
    assert_int_equal(r[INSN_RSI], 0xfffffffeull);
    assert_int_equal(r[INSN_RDI], 0);
}

static void test_string_advance_non_string_is_noop(void **state)
{
    static const uint8_t mov[] = { 0x89, 0x03 };
    struct insn in;
    uint64_t r[8];
    (void)state;
    memcpy(r, REGS, sizeof(r));
    assert_int_equal(insn_decode(mov, 2, M32, &in), INSN_OK);
    assert_true(insn_string_advance(&in, r, DF));
    assert_memory_equal(r, REGS, sizeof(r));
}

/* ---------------------------------------------------------------------
 * Flags
 * ------------------------------------------------------------------- */

#define CF (1u << 0)
#define PF (1u << 2)
#define AF (1u << 4)
#define ZF (1u << 6)
#define SF (1u << 7)
#define OF (1u << 11)
#define IF_ (1u << 9)

static uint64_t flags_after(enum insn_mode mode, const uint8_t *b, size_t n,
                            uint32_t eax, uint32_t old, uint64_t rflags)
{
    struct insn in;
    uint64_t r[8] = { 0 };
    r[INSN_RAX] = eax;
    assert_int_equal(insn_decode(b, n, mode, &in), INSN_OK);
    return insn_update_rflags(&in, r, old, rflags);
}

static void test_flags_add(void **state)
{
    static const uint8_t add_b[] = { 0x00, 0x03 };   /* add [ebx], al */
    static const uint8_t add_d[] = { 0x01, 0x03 };   /* add [ebx], eax */
    (void)state;
    /* 0xff + 1 = 0x00: carry out, zero, even parity, nibble carry */
    assert_int_equal(flags_after(M32, add_b, 2, 1, 0xff, 0x2),
                     0x2 | CF | ZF | PF | AF);
    /* 0x7fffffff + 1: signed overflow into the sign bit */
    assert_int_equal(flags_after(M32, add_d, 2, 1, 0x7fffffff, 0x2),
                     0x2 | OF | SF | PF | AF);
    /* 5 + 0 = 5: result equals the old value, still no carry */
    assert_int_equal(flags_after(M32, add_b, 2, 0, 5, 0x2 | CF), 0x2 | PF);
    /* 1 + 2 = 3: two ones -> PF, nothing else; stale flags cleared */
    assert_int_equal(flags_after(M32, add_d, 2, 2, 1,
                                 0x2 | CF | ZF | SF | OF | IF_),
                     0x2 | PF | IF_);
}

static void test_flags_sub_cmp(void **state)
{
    static const uint8_t cmp_d0[] = { 0x83, 0x38, 0x01 };  /* cmp [eax],1 */
    static const uint8_t sub_w[] = { 0x66, 0x29, 0x03 };   /* sub [ebx],ax */
    (void)state;
    /* 0 - 1 = 0xffffffff: borrow, negative, low byte 0xff has 8 ones */
    assert_int_equal(flags_after(M32, cmp_d0, 3, 0, 0, 0x2),
                     0x2 | CF | SF | PF | AF);
    /* 1 - 1 = 0 */
    assert_int_equal(flags_after(M32, cmp_d0, 3, 0, 1, 0x2), 0x2 | ZF | PF);
    /* word 0x8000 - 1 = 0x7fff: signed overflow, AF from nibble borrow */
    assert_int_equal(flags_after(M32, sub_w, 3, 1, 0x8000, 0x2),
                     0x2 | OF | PF | AF);
}

static void test_flags_logic_and_test(void **state)
{
    static const uint8_t test_imm[] = {                /* test [eax],0x1000 */
        0xf7, 0x00, 0x00, 0x10, 0x00, 0x00 };
    static const uint8_t or_b[] = { 0x08, 0x03 };      /* or [ebx], al */
    (void)state;
    /* ICR delivery-status poll: bit 12 set -> ZF clear */
    assert_int_equal(flags_after(M32, test_imm, 6, 0, 0x1000,
                                 0x2 | CF | OF | ZF),
                     0x2 | PF);
    assert_int_equal(flags_after(M32, test_imm, 6, 0, 0x0fff, 0x2),
                     0x2 | ZF | PF);
    /* 0x80 | 0x01 = 0x81: sign set, two ones -> PF */
    assert_int_equal(flags_after(M32, or_b, 2, 0x01, 0x80, 0x2 | CF | AF),
                     0x2 | SF | PF);
    /* 0x01 | 0x02 = 0x03 but 0x01|0x06 = 0x07: odd parity, no PF */
    assert_int_equal(flags_after(M32, or_b, 2, 0x06, 0x01, 0x2), 0x2);
}

static void test_flags_untouched_by_mov(void **state)
{
    static const uint8_t mov[] = { 0x89, 0x03 };
    (void)state;
    assert_int_equal(flags_after(M32, mov, 2, 0, 0, 0x2 | CF | ZF | DF),
                     0x2 | CF | ZF | DF);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    static const struct CMUnitTest tests[] = {
        T(test_load_8bit_low_and_high),
        T(test_load_16bit_preserves_upper),
        T(test_load_32bit_zero_extends),
        T(test_load_movzx_movsx),
        T(test_load_lods_and_xchg),
        T(test_load_refused_for_non_loads),
        T(test_store_refused_for_pure_reads),
        T(test_ea_16bit_wraps_at_64k),
        T(test_ea_32bit_wraps_at_4g),
        T(test_ea_sib_scale8),
        T(test_ea_bp_default_segment),
        T(test_ea_string_uses_address_size),
        T(test_string_stosb_steps_di),
        T(test_string_rep_stosd_16bit),
        T(test_string_rep_count_follows_address_size),
        T(test_string_lodsd_32bit_df),
        T(test_string_advance_non_string_is_noop),
        T(test_flags_add),
        T(test_flags_sub_cmp),
        T(test_flags_logic_and_test),
        T(test_flags_untouched_by_mov),
    };
    return cmocka_run_group_tests_name("insn_emulate", tests, NULL, NULL);
}

/*
 * test_insn_decode64.c - 64-bit mode of the decoder (vmx/insn_decode.c): REX prefixes, 64-bit
 * operands and addresses, RIP-relative addressing, moffs64, SPL..DIL, the segment rule of
 * 64-bit mode. Encodings worked out by hand from SDM Vol.2A 2.2.1 (Figure 2-4..2-7, Tables
 * 2-4, 2-5, 2-7); the Linux forms are what GCC emits for writel/readl on the APIC fixmap
 * (mov %eax,0xffffffffff5fd0b0: 89 04 25 disp32, a SIB with no base and no index).
 *
 * gcc -std=gnu11 -Wall -Wextra -Werror -I. tests/unit/test_insn_decode64.c \
 *     vmx/insn_decode.c vmx/insn_format.c -lcmocka
 */
#include "insn_test_common.h"

#define M64 INSN_MODE_64

static const uint64_t REGS64[16] = {
    [INSN_RAX] = 0x1111111187654321ull, [INSN_RCX] = 0x0000000000000003ull,
    [INSN_RDX] = 0x3333333300000004ull, [INSN_RBX] = 0xffff888000001000ull,
    [INSN_RSP] = 0xffffc90000007ff0ull, [INSN_RBP] = 0x2000,
    [INSN_RSI] = 0x0000000000004455ull, [INSN_RDI] = 0xffffffffff5fd300ull,
    [INSN_R8] = 0xffffffffff5fd000ull,  [INSN_R9] = 0x9999999999999999ull,
    [INSN_R12] = 0x20,                  [INSN_R13] = 0xffffffffff5fd000ull,
};

struct case64 {
    const char *name;
    uint8_t bytes[16];
    size_t n;
    uint8_t length, op, size, seg, opnd_size, addr_size;
    int8_t reg, base, index;
    bool rip_rel;
    uint64_t ea;      /* insn_operand_offset with REGS64 and RIP 0x1000 */
    const char *text;
};

static const struct case64 cases[] = {
    { "Linux native_apic_mem_write: mov [0xffffffffff5fd0b0], eax",
      BYTES(0x89, 0x04, 0x25, 0xb0, 0xd0, 0x5f, 0xff), /* 00 000 100, SIB 00 100 101 */
      7, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 8, INSN_RAX, -1, -1, false,
      0xffffffffff5fd0b0ull, "mov dword [ds:0xffffffffff5fd0b0], eax" },
    { "Linux native_apic_mem_read: mov eax, [0xffffffffff5fd030]",
      BYTES(0x8b, 0x04, 0x25, 0x30, 0xd0, 0x5f, 0xff),
      7, INSN_OP_MOV_LOAD, 4, INSN_SEG_DS, 4, 8, INSN_RAX, -1, -1, false,
      0xffffffffff5fd030ull, "mov eax, dword [ds:0xffffffffff5fd030]" },
    { "RIP-relative: mov [rip+0x10], eax",
      BYTES(0x89, 0x05, 0x10, 0x00, 0x00, 0x00),
      6, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 8, INSN_RAX, -1, -1, true,
      0x1000 + 6 + 0x10, "mov dword [ds:rip+0x10], eax" },
    { "RIP-relative with a negative disp and REX.B (still RIP: only the 3 bits count)",
      BYTES(0x41, 0x89, 0x05, 0xf0, 0xff, 0xff, 0xff),
      7, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 8, INSN_RAX, -1, -1, true,
      0x1000 + 7 - 0x10, "mov dword [ds:rip-0x10], eax" },
    { "REX.B: mov [r8+0xb0], eax",
      BYTES(0x41, 0x89, 0x80, 0xb0, 0x00, 0x00, 0x00), /* 10 000 000 */
      7, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 8, INSN_RAX, INSN_R8, -1, false,
      0xffffffffff5fd0b0ull, "mov dword [ds:r8+0xb0], eax" },
    { "REX.R: mov [rdi], r9d",
      BYTES(0x44, 0x89, 0x0f), /* 00 001 111 */
      3, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 8, INSN_R9, INSN_RDI, -1, false,
      0xffffffffff5fd300ull, "mov dword [ds:rdi], r9d" },
    { "REX.W: mov [rdi], rax",
      BYTES(0x48, 0x89, 0x07),
      3, INSN_OP_MOV_STORE, 8, INSN_SEG_DS, 8, 8, INSN_RAX, INSN_RDI, -1, false,
      0xffffffffff5fd300ull, "mov qword [ds:rdi], rax" },
    { "REX.X: mov [r8+r12*4], eax",
      BYTES(0x43, 0x89, 0x04, 0xa0), /* SIB 10 100 000 */
      4, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 8, INSN_RAX, INSN_R8, INSN_R12, false,
      0xffffffffff5fd080ull, "mov dword [ds:r8+r12*4], eax" },
    { "SIB base=101 mod=00 with REX.B: no base, disp32 (Table 2-5 note)",
      BYTES(0x41, 0x89, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00),
      8, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 8, INSN_RAX, -1, -1, false,
      0x1000, "mov dword [ds:0x1000], eax" },
    /* the SDM's SS default names only (E/R)SP and (E/R)BP bases; in 64-bit mode the base of
     * DS or SS is 0 either way (insn_segment_counts) */
    { "REX.B with base r13, mod=01: [r13+0x20] (r13 needs a disp like rbp)",
      BYTES(0x41, 0x8b, 0x45, 0x20), /* 01 000 101 */
      4, INSN_OP_MOV_LOAD, 4, INSN_SEG_DS, 4, 8, INSN_RAX, INSN_R13, -1, false,
      0xffffffffff5fd020ull, "mov eax, dword [ds:r13+0x20]" },
    { "a legacy prefix after REX voids the REX: 48 66 89 00 is mov [rax], ax",
      BYTES(0x48, 0x66, 0x89, 0x00),
      4, INSN_OP_MOV_STORE, 2, INSN_SEG_DS, 2, 8, INSN_RAX, INSN_RAX, -1, false,
      0x1111111187654321ull, "mov word [ds:rax], ax" },
    { "REX byte register: mov [rax], sil",
      BYTES(0x40, 0x88, 0x30),
      3, INSN_OP_MOV_STORE, 1, INSN_SEG_DS, 4, 8, INSN_RSI, INSN_RAX, -1, false,
      0x1111111187654321ull, "mov byte [ds:rax], sil" },
    { "no REX: mov [rax], dh",
      BYTES(0x88, 0x30),
      2, INSN_OP_MOV_STORE, 1, INSN_SEG_DS, 4, 8, INSN_RSI, INSN_RAX, -1, false,
      0x1111111187654321ull, "mov byte [ds:rax], dh" },
    { "moffs64: mov eax, [0xfee00030]",
      BYTES(0xa1, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00),
      9, INSN_OP_MOV_LOAD, 4, INSN_SEG_DS, 4, 8, INSN_RAX, -1, -1, false,
      0xfee00030ull, "mov eax, dword [ds:0xfee00030]" },
    { "67: 32-bit addressing, mov [ebx], eax",
      BYTES(0x67, 0x89, 0x03),
      3, INSN_OP_MOV_STORE, 4, INSN_SEG_DS, 4, 4, INSN_RAX, INSN_RBX, -1, false,
      0x1000, "mov dword [ds:ebx], eax" },
    { "mov qword [rbx], imm32 sign-extended",
      BYTES(0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff),
      7, INSN_OP_MOV_STORE, 8, INSN_SEG_DS, 8, 8, -1, INSN_RBX, -1, false,
      0xffff888000001000ull, "mov qword [ds:rbx], 0xffffffffffffffff" },
    { "gs: or dword [gs:0x30], 0x100",
      BYTES(0x65, 0x81, 0x0c, 0x25, 0x30, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00),
      12, INSN_OP_OR, 4, INSN_SEG_GS, 4, 8, -1, -1, -1, false,
      0x30, "or dword [gs:0x30], 0x100" },
    { "stosq",
      BYTES(0x48, 0xab),
      2, INSN_OP_STOS, 8, INSN_SEG_ES, 8, 8, INSN_RAX, INSN_RDI, -1, false,
      0xffffffffff5fd300ull, "stos qword [es:rdi], rax" },
};

static void test_row(void **state)
{
    const struct case64 *c = *state;
    struct insn in;
    char text[96];
    assert_int_equal(insn_decode(c->bytes, c->n, M64, &in), INSN_OK);
    assert_int_equal(in.length, c->length);
    assert_int_equal(in.op, c->op);
    assert_int_equal(in.size, c->size);
    assert_int_equal(in.seg, c->seg);
    assert_int_equal(in.opnd_size, c->opnd_size);
    assert_int_equal(in.addr_size, c->addr_size);
    assert_int_equal(in.reg, c->reg);
    assert_int_equal(in.base_reg, c->base);
    assert_int_equal(in.index_reg, c->index);
    assert_int_equal(in.rip_relative, c->rip_rel);
    assert_int_equal(insn_operand_offset(&in, REGS64, 0x1000), c->ea);
    insn_format(&in, text, sizeof(text));
    assert_string_equal(text, c->text);
}

static void test_rex_is_inc_dec_outside_64(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x48, 0x89, 0x07};
    struct insn in;
    assert_int_equal(insn_decode(b, sizeof(b), M32, &in), INSN_ERR_UNSUPPORTED);
    assert_int_equal(insn_decode(b, sizeof(b), M64, &in), INSN_OK);
}

static void test_segments_in_64bit_mode(void **state)
{
    (void)state;
    static const uint8_t fs[] = {0x64, 0x89, 0x03}, es[] = {0x26, 0x89, 0x03}, plain[] = {0x89, 0x03};
    struct insn in;
    assert_int_equal(insn_decode(fs, sizeof(fs), M64, &in), INSN_OK);
    assert_true(insn_segment_counts(&in));
    assert_int_equal(insn_decode(es, sizeof(es), M64, &in), INSN_OK);
    assert_false(insn_segment_counts(&in)); /* ES, CS, SS, DS bases are 0 in 64-bit mode */
    assert_int_equal(insn_decode(plain, sizeof(plain), M64, &in), INSN_OK);
    assert_false(insn_segment_counts(&in));
    assert_int_equal(insn_decode(es, sizeof(es), M32, &in), INSN_OK);
    assert_true(insn_segment_counts(&in));
}

static void test_loads_64(void **state)
{
    (void)state;
    uint64_t r[16];
    struct insn in;
    /* a 32-bit load zero-extends into the 64-bit register */
    static const uint8_t ld[] = {0x8b, 0x04, 0x25, 0x30, 0xd0, 0x5f, 0xff};
    memcpy(r, REGS64, sizeof(r));
    assert_int_equal(insn_decode(ld, sizeof(ld), M64, &in), INSN_OK);
    assert_true(insn_apply_load(&in, r, 0xfee00030u));
    assert_int_equal(r[INSN_RAX], 0xfee00030ull);
    /* REX.R: into r9d */
    static const uint8_t ld9[] = {0x44, 0x8b, 0x0b};
    assert_int_equal(insn_decode(ld9, sizeof(ld9), M64, &in), INSN_OK);
    assert_true(insn_apply_load(&in, r, 0x12345678u));
    assert_int_equal(r[INSN_R9], 0x12345678ull);
    /* a byte load into SIL keeps the rest of RSI, not AH's byte of RAX */
    static const uint8_t sil[] = {0x40, 0x8a, 0x33};
    memcpy(r, REGS64, sizeof(r));
    assert_int_equal(insn_decode(sil, sizeof(sil), M64, &in), INSN_OK);
    assert_true(insn_apply_load(&in, r, 0xab));
    assert_int_equal(r[INSN_RSI], 0x44abull);
    assert_int_equal(r[INSN_RAX], REGS64[INSN_RAX]);
    /* 64-bit load */
    static const uint8_t ldq[] = {0x48, 0x8b, 0x03};
    assert_int_equal(insn_decode(ldq, sizeof(ldq), M64, &in), INSN_OK);
    assert_true(insn_apply_load(&in, r, 0xffffffffffffffffull));
    assert_int_equal(r[INSN_RAX], 0xffffffffffffffffull);
    /* a 64-bit store value */
    static const uint8_t stq[] = {0x48, 0x89, 0x07};
    uint64_t v = 0;
    assert_int_equal(insn_decode(stq, sizeof(stq), M64, &in), INSN_OK);
    assert_true(insn_store_value(&in, REGS64, 0, &v));
    assert_int_equal(v, REGS64[INSN_RAX]);
}

static void test_strings_64(void **state)
{
    (void)state;
    uint64_t r[16];
    struct insn in;
    static const uint8_t rep_stosq[] = {0xf3, 0x48, 0xab};
    memcpy(r, REGS64, sizeof(r));
    assert_int_equal(insn_decode(rep_stosq, sizeof(rep_stosq), M64, &in), INSN_OK);
    assert_true(in.rep);
    assert_false(insn_string_advance(&in, r, 0x2)); /* RCX 3 -> 2: not done */
    assert_int_equal(r[INSN_RDI], REGS64[INSN_RDI] + 8);
    assert_int_equal(r[INSN_RCX], 2);
    /* 64-bit flags: CMP qword */
    static const uint8_t cmpq[] = {0x48, 0x39, 0x03}; /* cmp [rbx], rax */
    assert_int_equal(insn_decode(cmpq, sizeof(cmpq), M64, &in), INSN_OK);
    uint64_t f = insn_update_rflags(&in, REGS64, REGS64[INSN_RAX], 0x2);
    assert_true(f & (1u << 6)); /* ZF: equal 64-bit values */
    f = insn_update_rflags(&in, REGS64, 0x8000000000000000ull, 0x2);
    assert_false(f & (1u << 6));
}

static void test_truncated_and_too_long(void **state)
{
    (void)state;
    struct insn in;
    static const uint8_t rex_only[] = {0x48};
    assert_int_equal(insn_decode(rex_only, 1, M64, &in), INSN_ERR_TRUNCATED);
    static const uint8_t ld[] = {0x8b, 0x04, 0x25, 0x30, 0xd0};
    assert_int_equal(insn_decode(ld, sizeof(ld), M64, &in), INSN_ERR_TRUNCATED);
    uint8_t many[16];
    memset(many, 0x48, sizeof(many)); /* REX after REX: each voids the one before */
    assert_int_equal(insn_decode(many, sizeof(many), M64, &in), INSN_ERR_TOO_LONG);
}

#define N (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
    struct CMUnitTest tests[N + 6];
    for (size_t k = 0; k < N; k++)
        tests[k] = (struct CMUnitTest){cases[k].name, test_row, NULL, NULL, (void *)&cases[k]};
    tests[N] = (struct CMUnitTest)cmocka_unit_test(test_rex_is_inc_dec_outside_64);
    tests[N + 1] = (struct CMUnitTest)cmocka_unit_test(test_segments_in_64bit_mode);
    tests[N + 2] = (struct CMUnitTest)cmocka_unit_test(test_loads_64);
    tests[N + 3] = (struct CMUnitTest)cmocka_unit_test(test_strings_64);
    tests[N + 4] = (struct CMUnitTest)cmocka_unit_test(test_truncated_and_too_long);
    return _cmocka_run_group_tests("insn_decode64", tests, N + 5, NULL, NULL);
}

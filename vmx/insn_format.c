/*
 * insn_format.c - one-line Intel-syntax text for a decoded instruction,
 * for the hypervisor log.  NASM-like style, always with an explicit size
 * keyword and segment on the memory operand, e.g.
 *
 *     mov dword [es:di+0x300], eax
 *     lock or dword [ds:0xfee000f0], 0x100
 *     rep stos dword [es:di], eax
 *
 * No libc: a tiny bounded writer with snprintf-like return value.
 */
#include "insn_decode.h"

struct writer {
    char  *buf;
    size_t len;    /* capacity including the NUL */
    size_t pos;    /* characters produced so far (may exceed len) */
};

static void put_char(struct writer *w, char ch)
{
    if (w->buf && w->pos + 1 < w->len)
        w->buf[w->pos] = ch;
    w->pos++;
}

static void put_str(struct writer *w, const char *s)
{
    while (*s)
        put_char(w, *s++);
}

/* "0x" followed by lower-case hex without leading zeros. */
static void put_hex(struct writer *w, uint64_t v)
{
    int shift = 60;
    put_str(w, "0x");
    while (shift > 0 && ((v >> shift) & 0xfu) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        put_char(w, "0123456789abcdef"[(v >> shift) & 0xfu]);
}

static const char *const reg8_names[8] = {
    "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };
static const char *const reg8_rex_names[16] = {
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const reg16_names[16] = {
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const reg32_names[16] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const reg64_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const seg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

/* Byte registers 4..7 are AH..BH without a REX prefix, SPL..DIL with one. */
static const char *reg_name(unsigned reg, unsigned size, bool rex)
{
    reg &= 15;
    switch (size) {
    case 1: return rex ? reg8_rex_names[reg] : reg8_names[reg & 7];
    case 2: return reg16_names[reg];
    case 4: return reg32_names[reg];
    default: return reg64_names[reg];
    }
}

static const char *size_keyword(unsigned size)
{
    return size == 1 ? "byte" : size == 2 ? "word" : size == 4 ? "dword" : "qword";
}

/* Mnemonics indexed by enum insn_op. */
static const char *const op_names[] = {
    [INSN_OP_NONE] = "(bad)",   [INSN_OP_MOV_STORE] = "mov",
    [INSN_OP_MOV_LOAD] = "mov", [INSN_OP_MOVZX] = "movzx",
    [INSN_OP_MOVSX] = "movsx",  [INSN_OP_STOS] = "stos",
    [INSN_OP_LODS] = "lods",    [INSN_OP_ADD] = "add",
    [INSN_OP_OR] = "or",        [INSN_OP_AND] = "and",
    [INSN_OP_SUB] = "sub",      [INSN_OP_XOR] = "xor",
    [INSN_OP_CMP] = "cmp",      [INSN_OP_TEST] = "test",
    [INSN_OP_XCHG] = "xchg",
};

/* "dword [ss:bp+si-0x2]": registers use the address-size names; a
 * bare displacement is shown unsigned (it is an address). */
static void put_mem(struct writer *w, const struct insn *i)
{
    bool have_reg = false;

    put_str(w, size_keyword(i->size));
    put_str(w, " [");
    put_str(w, seg_names[i->seg]);
    put_char(w, ':');
    if (i->rip_relative) {
        put_str(w, "rip");
        have_reg = true;
    }
    if (i->base_reg >= 0) {
        put_str(w, reg_name((unsigned)i->base_reg, i->addr_size, true));
        have_reg = true;
    }
    if (i->index_reg >= 0) {
        if (have_reg)
            put_char(w, '+');
        put_str(w, reg_name((unsigned)i->index_reg, i->addr_size, true));
        if (i->scale > 1) {
            put_char(w, '*');
            put_char(w, (char)('0' + i->scale));
        }
        have_reg = true;
    }
    uint64_t mask = i->addr_size == 2 ? 0xffffu
                  : i->addr_size == 4 ? 0xffffffffu : ~0ull;
    if (!have_reg) {
        put_hex(w, i->disp & mask);
    } else if (i->disp_size) {
        /* Show small negative displacements as "-0x4", but keep large
         * ones such as 0xfee00000 unsigned - they are addresses. */
        int64_t d = i->disp_size == 2 ? (int64_t)(int16_t)(uint16_t)i->disp
                                      : (int64_t)(int32_t)(uint32_t)i->disp;
        if (d < 0 && (i->disp_size == 1 || d > -0x1000 || i->rip_relative)) {
            put_char(w, '-');
            put_hex(w, 0ull - (uint64_t)d);
        } else {
            put_char(w, '+');
            put_hex(w, i->disp & mask);
        }
    }
    put_char(w, ']');
}

int insn_format(const struct insn *i, char *buf, size_t len)
{
    struct writer w = { buf, len, 0 };
    bool mem_first;

    if (!i || i->op == INSN_OP_NONE || i->op > INSN_OP_XCHG || i->seg > 5)
        return -1;

    if (i->lock)
        put_str(&w, "lock ");
    if (i->rep)
        put_str(&w, "rep ");
    put_str(&w, op_names[i->op]);
    put_char(&w, ' ');

    /* Operand order is the Intel one: destination first. */
    mem_first = !(i->op == INSN_OP_MOV_LOAD || i->op == INSN_OP_MOVZX ||
                  i->op == INSN_OP_MOVSX || i->op == INSN_OP_LODS);
    if (mem_first) {
        put_mem(&w, i);
        put_str(&w, ", ");
        if (i->has_imm)
            put_hex(&w, i->imm);
        else
            put_str(&w, reg_name((unsigned)i->reg, i->reg_size, i->rex != 0));
    } else {
        put_str(&w, reg_name((unsigned)i->reg, i->reg_size, i->rex != 0));
        put_str(&w, ", ");
        put_mem(&w, i);
    }

    if (buf && len)
        buf[w.pos < len ? w.pos : len - 1] = '\0';
    return (int)w.pos;
}

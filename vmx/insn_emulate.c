/*
 * insn_emulate.c - the one memory access of a decoded instruction (insn_decode.h): the value a
 * store writes, a load into its register, ALU flags, string-instruction pointer and count
 * updates, the operand's offset within its segment. Pure logic, host-tested
 * (tests/unit/test_insn_emulate.c).
 */
#include "insn_internal.h"

/* ---------------------------------------------------------------------
 * Public: emulation helpers
 * ------------------------------------------------------------------- */

/* Second operand of a store/ALU: the immediate or the register. */
static uint64_t source_operand(const struct insn *i, const uint64_t *regs)
{
    if (i->has_imm)
        return i->imm;
    return gpr_read(regs, i->rex != 0, (unsigned)i->reg, i->reg_size);
}

/* The arithmetic/logic result of an ALU op, masked to the operand size. */
static uint64_t alu_result(const struct insn *i, uint64_t dst, uint64_t src)
{
    uint64_t r;
    switch (i->op) {
    case INSN_OP_ADD: r = dst + src; break;
    case INSN_OP_OR:  r = dst | src; break;
    case INSN_OP_AND: case INSN_OP_TEST: r = dst & src; break;
    case INSN_OP_SUB: case INSN_OP_CMP:  r = dst - src; break;
    case INSN_OP_XOR: r = dst ^ src; break;
    default: r = src; break;
    }
    return r & size_mask(i->size);
}

bool insn_store_value(const struct insn *i, const uint64_t *regs,
                      uint64_t old, uint64_t *value)
{
    if (!i || !regs || !value || !i->mem_write)
        return false;
    if (i->op == INSN_OP_MOV_STORE || i->op == INSN_OP_STOS ||
        i->op == INSN_OP_XCHG)
        *value = source_operand(i, regs) & size_mask(i->size);
    else
        *value = alu_result(i, old & size_mask(i->size),
                            source_operand(i, regs));
    return true;
}

bool insn_apply_load(const struct insn *i, uint64_t *regs, uint64_t value)
{
    if (!i || !regs || i->reg < 0)
        return false;
    value &= size_mask(i->size);
    switch (i->op) {
    case INSN_OP_MOV_LOAD: case INSN_OP_LODS: case INSN_OP_XCHG:
    case INSN_OP_MOVZX:
        break;
    case INSN_OP_MOVSX:
        value = sign_extend(value, i->size) & size_mask(i->reg_size);
        break;
    default:
        return false;                  /* stores, ALU, CMP, TEST */
    }
    gpr_write(regs, i->rex != 0, (unsigned)i->reg, i->reg_size, value);
    return true;
}

/* RFLAGS bits (SDM Vol.1 §3.4.3). */
#define RFLAGS_CF (1u << 0)
#define RFLAGS_PF (1u << 2)
#define RFLAGS_AF (1u << 4)
#define RFLAGS_ZF (1u << 6)
#define RFLAGS_SF (1u << 7)
#define RFLAGS_DF (1u << 10)
#define RFLAGS_OF (1u << 11)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
                      RFLAGS_SF | RFLAGS_OF)

uint64_t insn_update_rflags(const struct insn *i, const uint64_t *regs,
                            uint64_t old, uint64_t rflags)
{
    uint64_t mask, msb, dst, src, res, low;
    uint32_t f = 0;
    unsigned ones = 0;

    if (!i || !regs || i->op < INSN_OP_ADD || i->op > INSN_OP_TEST)
        return rflags;
    mask = size_mask(i->size);
    msb = 1ull << (i->size * 8 - 1);
    dst = old & mask;
    src = source_operand(i, regs) & mask;
    res = alu_result(i, dst, src);

    if (i->op == INSN_OP_ADD) {
        if (res < dst)                               f |= RFLAGS_CF;
        if ((dst ^ res) & (src ^ res) & msb)         f |= RFLAGS_OF;
        if ((dst ^ src ^ res) & 0x10)                f |= RFLAGS_AF;
    } else if (i->op == INSN_OP_SUB || i->op == INSN_OP_CMP) {
        if (dst < src)                               f |= RFLAGS_CF;
        if ((dst ^ src) & (dst ^ res) & msb)         f |= RFLAGS_OF;
        if ((dst ^ src ^ res) & 0x10)                f |= RFLAGS_AF;
    }   /* OR/AND/XOR/TEST: CF = OF = 0, AF undefined (we clear it) */
    if (res == 0)
        f |= RFLAGS_ZF;
    if (res & msb)
        f |= RFLAGS_SF;
    /* PF: set when the LOW BYTE of the result has an even number of 1s. */
    for (low = res & 0xffu; low; low >>= 1)
        ones += low & 1u;
    if ((ones & 1u) == 0)
        f |= RFLAGS_PF;
    return (rflags & ~(uint64_t)RFLAGS_ARITH) | f;
}

/* Add delta to a pointer/count register, wrapping at the address size.
 * With 16-bit addressing only the low 16 bits change (SI, DI, CX). */
static void step_reg(uint64_t *regs, unsigned reg, unsigned addr_size,
                     uint64_t delta)
{
    uint64_t v = regs[reg] + delta;
    gpr_write(regs, true, reg, addr_size, v & size_mask(addr_size));
}

bool insn_string_advance(const struct insn *i, uint64_t *regs,
                         uint64_t rflags)
{
    uint64_t delta;

    if (!i || !regs || (i->op != INSN_OP_STOS && i->op != INSN_OP_LODS))
        return true;
    /* DF=1 walks downwards.  Negative delta via unsigned wrap-around. */
    delta = (rflags & RFLAGS_DF) ? 0ull - i->size : i->size;
    step_reg(regs, (unsigned)i->base_reg, i->addr_size, delta);
    if (!i->rep)
        return true;
    /* The count register is CX or ECX according to the ADDRESS size. */
    step_reg(regs, INSN_RCX, i->addr_size, ~0ull);
    return gpr_read(regs, true, INSN_RCX, i->addr_size) == 0;
}

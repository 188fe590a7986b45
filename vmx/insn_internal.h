/* Helpers shared by the decoder (insn_decode.c) and the emulator (insn_emulate.c): operand
 * sizes and the guest registers by x86 number (SDM Vol.2A 2.1, Table 2-1; REX and the
 * legacy high-byte registers AH..BH). Internal to those two files. */
#ifndef VMX_INSN_INTERNAL_H
#define VMX_INSN_INTERNAL_H

#include "insn_decode.h"
/* ---------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------- */

/* All-ones mask for a 1-, 2-, 4- or 8-byte quantity. */
static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1u;
}

/* Sign-extend the low `size` bytes of v to 64 bits. */
static inline uint64_t sign_extend(uint64_t v, unsigned size)
{
    if (size == 1)
        return (uint64_t)(int64_t)(int8_t)(uint8_t)v;
    if (size == 2)
        return (uint64_t)(int64_t)(int16_t)(uint16_t)v;
    if (size == 4)
        return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    return v;
}

/* Read a register operand of the given width.  For 1-byte operands
 * without a REX prefix the numbers 4..7 are AH, CH, DH, BH: bits 15:8 of
 * RAX..RBX (SDM Vol.2A §2.2.1.2, Table 3-1). */
static inline bool high_byte(bool rex, unsigned reg, unsigned size)
{
    return size == 1 && !rex && reg >= 4 && reg < 8;
}

static inline uint64_t gpr_read(const uint64_t *regs, bool rex, unsigned reg,
                         unsigned size)
{
    if (high_byte(rex, reg, size))
        return (regs[reg - 4] >> 8) & 0xffu;
    return regs[reg] & size_mask(size);
}

/* Write a register with x86 partial-register rules. */
static inline void gpr_write(uint64_t *regs, bool rex, unsigned reg, unsigned size,
                      uint64_t v)
{
    if (high_byte(rex, reg, size)) {             /* AH..BH */
        regs[reg - 4] = (regs[reg - 4] & ~(uint64_t)0xff00) |
                        ((uint64_t)(v & 0xffu) << 8);
    } else if (size == 1) {                      /* AL..BL: keep 63:8 */
        regs[reg] = (regs[reg] & ~(uint64_t)0xff) | (v & 0xffu);
    } else if (size == 2) {                      /* keep 63:16 */
        regs[reg] = (regs[reg] & ~(uint64_t)0xffff) | (v & 0xffffu);
    } else if (size == 4) {                      /* 32-bit: zero-extend */
        regs[reg] = (uint32_t)v;
    } else {
        regs[reg] = v;
    }
}


#endif

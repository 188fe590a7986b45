/* insn_same(): two decodings agree field by field. Test-only: test_insn_fast.c and
 * tests/fuzz/fuzz_insn.c hold the decoder's fast path to the general decoder with it. */
#ifndef VMXLAB_TESTS_INSN_SAME_H
#define VMXLAB_TESTS_INSN_SAME_H

#include <stdbool.h>

#include "vmx/insn_decode.h"

static inline bool insn_same(const struct insn *a, const struct insn *b)
{
#define F(x) (a->x == b->x)
    return F(length) && F(op) && F(size) && F(seg) && F(opnd_size) && F(addr_size) && F(rex) && F(mode64) &&
           F(rip_relative) && F(rep) && F(lock) && F(seg_override) && F(mem_read) && F(mem_write) && F(reg) &&
           F(reg_size) && F(has_imm) && F(imm) && F(has_modrm) && F(modrm_mod) && F(modrm_reg) && F(modrm_rm) &&
           F(has_sib) && F(sib_scale) && F(sib_index) && F(sib_base) && F(base_reg) && F(index_reg) && F(scale) &&
           F(disp_size) && F(disp);
#undef F
}

#endif

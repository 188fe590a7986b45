/* Fuzz target: the instruction decoder, emulator and formatter (vmx/insn_decode.c,
 * insn_emulate.c, insn_format.c), which read bytes a guest chose (vmx/exit_ept.c fetches them
 * at CS:RIP after an APIC-access or EPT exit).
 *
 * Input: byte 0 picks the mode (0: 16-bit, 1: 32-bit, 2: 64-bit; taken modulo 3), the next
 * up to 32 bytes are the fetched instruction bytes, and the bytes after them (when present)
 * perturb the guest registers and RFLAGS.
 *
 * Properties, from vmx/insn_decode.h and SDM Vol.2A 2.1:
 *   - insn_decode (with its fast path for the MOV forms) and insn_decode_full agree: the same
 *     return code, and the same fields for a decoded instruction;
 *   - a decoded length is 1..15 and never more than the bytes given; exactly `length` bytes
 *     decode to the same instruction and `length - 1` bytes do not decode;
 *   - every field is in its documented range for the mode (no REX, RIP-relative or 64-bit
 *     sizes outside 64-bit mode; the 16-bit addressing forms of Table 2-1 only);
 *   - LOCK only on read-modify-write forms, REP only on string instructions;
 *   - the emulator stores a value masked to the access size, changes only the arithmetic
 *     flags, loads only into the destination register (with the x86 width rules), steps only
 *     (E)SI, (E)DI and (E)CX; offsets wrap at the address size;
 *   - insn_format behaves like snprintf: NUL-terminated in any buffer size, same return
 *     value, the truncated text is a prefix of the full one. */
#include "tests/fuzz/fuzz_common.h"
#include "vmx/insn_decode.h"
#include "tests/unit/insn_same.h"

#define WINDOW 32
#define FLAGS_ARITH 0x8D5ull /* CF PF AF ZF SF OF (SDM Vol.1 3.4.3.1) */

static uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }
static bool is_size(unsigned s) { return s == 1 || s == 2 || s == 4 || s == 8; }

static void check_fields(const struct insn *in, enum insn_mode mode, size_t avail)
{
    bool m64 = mode == INSN_MODE_64;
    FUZZ_CHECK(in->length >= 1 && in->length <= INSN_MAX_LENGTH && in->length <= avail, "length %u of %zu",
               in->length, avail);
    FUZZ_CHECK(in->op > INSN_OP_NONE && in->op <= INSN_OP_XCHG, "op %u", in->op);
    FUZZ_CHECK(is_size(in->size) && in->seg <= INSN_SEG_GS, "size %u seg %u", in->size, in->seg);
    FUZZ_CHECK(in->opnd_size == 2 || in->opnd_size == 4 || in->opnd_size == 8, "opnd_size %u", in->opnd_size);
    FUZZ_CHECK(in->addr_size == 2 || in->addr_size == 4 || in->addr_size == 8, "addr_size %u", in->addr_size);
    FUZZ_CHECK(in->mode64 == m64, "mode64 %d in mode %d", in->mode64, mode);
    FUZZ_CHECK(in->mem_read || in->mem_write, "a memory operand that is neither read nor written");
    FUZZ_CHECK(in->reg >= -1 && in->reg <= (m64 ? 15 : 7), "reg %d", in->reg);
    FUZZ_CHECK(in->base_reg >= -1 && in->base_reg <= (m64 ? 15 : 7), "base %d", in->base_reg);
    FUZZ_CHECK(in->index_reg >= -1 && in->index_reg <= (m64 ? 15 : 7), "index %d", in->index_reg);
    FUZZ_CHECK(in->index_reg != INSN_RSP, "RSP cannot be an index (SDM Table 2-3)");
    FUZZ_CHECK(in->reg < 0 || is_size(in->reg_size), "reg_size %u", in->reg_size);
    FUZZ_CHECK(is_size(in->scale), "scale %u", in->scale);
    FUZZ_CHECK(in->disp_size == 0 || is_size(in->disp_size), "disp_size %u", in->disp_size);
    FUZZ_CHECK(!in->has_imm || (in->imm & ~mask_of(in->size)) == 0, "imm 0x%llx wider than %u bytes",
               (unsigned long long)in->imm, in->size);
    if (!m64) {
        FUZZ_CHECK(!in->rex && !in->rip_relative && in->addr_size != 8 && in->opnd_size != 8 && in->size != 8,
                   "64-bit-only encoding outside 64-bit mode");
    } else {
        FUZZ_CHECK(in->addr_size != 2, "16-bit addressing in 64-bit mode");
        FUZZ_CHECK(in->rex == 0 || (in->rex & 0xF0) == 0x40, "rex 0x%x", in->rex);
    }
    if (in->addr_size == 2 && in->has_modrm) { /* Table 2-1: BX/BP + SI/DI only */
        FUZZ_CHECK(in->base_reg < 0 || in->base_reg == INSN_RBX || in->base_reg == INSN_RBP ||
                       in->base_reg == INSN_RSI || in->base_reg == INSN_RDI,
                   "16-bit base %d", in->base_reg);
        FUZZ_CHECK(in->index_reg < 0 || in->index_reg == INSN_RSI || in->index_reg == INSN_RDI,
                   "16-bit index %d", in->index_reg);
        FUZZ_CHECK(!in->has_sib, "SIB with 16-bit addressing");
    }
    if (in->lock)
        FUZZ_CHECK(in->op == INSN_OP_ADD || in->op == INSN_OP_OR || in->op == INSN_OP_AND || in->op == INSN_OP_SUB ||
                       in->op == INSN_OP_XOR || in->op == INSN_OP_XCHG,
                   "LOCK accepted on op %u (SDM Vol.2A LOCK: #UD)", in->op);
    if (in->rep)
        FUZZ_CHECK(in->op == INSN_OP_STOS || in->op == INSN_OP_LODS, "REP on op %u", in->op);
    if (in->op == INSN_OP_CMP || in->op == INSN_OP_TEST)
        FUZZ_CHECK(in->mem_read && !in->mem_write, "CMP/TEST writes memory");
    if (in->op == INSN_OP_MOV_STORE || in->op == INSN_OP_STOS)
        FUZZ_CHECK(in->mem_write && !in->mem_read, "a pure store reads memory");
    if (in->op == INSN_OP_MOV_LOAD || in->op == INSN_OP_MOVZX || in->op == INSN_OP_MOVSX || in->op == INSN_OP_LODS)
        FUZZ_CHECK(in->mem_read && !in->mem_write && in->reg >= 0, "a load without a destination");
}

static void check_emulation(const struct insn *in, const uint64_t *regs0, uint64_t rflags, uint64_t old,
                            uint64_t rip)
{
    uint64_t regs[16], value = 0x5a5a;
    memcpy(regs, regs0, sizeof(regs));

    uint64_t off = insn_operand_offset(in, regs, rip);
    if (in->addr_size == 2)
        FUZZ_CHECK(off <= 0xFFFF, "16-bit offset 0x%llx", (unsigned long long)off);
    if (in->addr_size == 4)
        FUZZ_CHECK(off <= 0xFFFFFFFFull, "32-bit offset 0x%llx", (unsigned long long)off);
    if (!in->rip_relative)
        FUZZ_CHECK(off == insn_effective_offset(in, regs), "offsets disagree without RIP-relative addressing");
    FUZZ_CHECK(in->mode64 || insn_segment_counts(in), "segment base ignored outside 64-bit mode");

    bool stored = insn_store_value(in, regs, old, &value);
    FUZZ_CHECK(stored == in->mem_write, "store_value %d for mem_write %d", stored, in->mem_write);
    if (stored)
        FUZZ_CHECK((value & ~mask_of(in->size)) == 0, "stored 0x%llx is wider than %u bytes",
                   (unsigned long long)value, in->size);

    uint64_t rf = insn_update_rflags(in, regs, old, rflags);
    FUZZ_CHECK(((rf ^ rflags) & ~FLAGS_ARITH) == 0, "rflags 0x%llx -> 0x%llx", (unsigned long long)rflags,
               (unsigned long long)rf);
    bool alu = in->op >= INSN_OP_ADD && in->op <= INSN_OP_TEST;
    if (!alu)
        FUZZ_CHECK(rf == rflags, "op %u changed RFLAGS", in->op);
    FUZZ_CHECK(memcmp(regs, regs0, sizeof(regs)) == 0, "store_value/update_rflags changed a register");

    bool loaded = insn_apply_load(in, regs, old);
    bool loads = in->op == INSN_OP_MOV_LOAD || in->op == INSN_OP_MOVZX || in->op == INSN_OP_MOVSX ||
                 in->op == INSN_OP_LODS || in->op == INSN_OP_XCHG;
    FUZZ_CHECK(loaded == loads, "apply_load %d for op %u", loaded, in->op);
    int high = (in->reg_size == 1 && !in->rex && in->reg >= 4 && in->reg < 8);
    int dst = in->reg < 0 ? -1 : high ? in->reg - 4 : in->reg;
    for (int r = 0; r < 16; r++) {
        if (r == dst && loaded)
            continue;
        FUZZ_CHECK(regs[r] == regs0[r], "apply_load changed register %d (destination %d)", r, dst);
    }
    if (loaded) {
        uint64_t keep = in->reg_size == 1 ? (high ? ~0xFF00ull : ~0xFFull) : in->reg_size == 2 ? ~0xFFFFull : 0;
        FUZZ_CHECK((regs[dst] & keep) == (regs0[dst] & keep), "a %u-byte load changed bits it must keep",
                   in->reg_size);
        if (in->reg_size == 4)
            FUZZ_CHECK(regs[dst] >> 32 == 0, "a 32-bit load did not zero-extend (SDM Vol.1 3.4.1.1)");
    }

    uint64_t before[16];
    memcpy(before, regs, sizeof(before));
    bool advance = insn_string_advance(in, regs, rflags);
    bool string = in->op == INSN_OP_STOS || in->op == INSN_OP_LODS;
    if (!string || !in->rep)
        FUZZ_CHECK(advance, "RIP kept for a non-REP instruction");
    for (int r = 0; r < 16; r++) {
        if (string && (r == INSN_RSI || r == INSN_RDI || (in->rep && r == INSN_RCX)))
            continue;
        FUZZ_CHECK(regs[r] == before[r], "string_advance changed register %d", r);
    }
}

static void check_format(const struct insn *in)
{
    char full[256];
    memset(full, 0x55, sizeof(full));
    int n = insn_format(in, full, sizeof(full));
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof(full), "format returned %d", n);
    FUZZ_CHECK(full[n] == 0 && strlen(full) == (size_t)n, "text not NUL-terminated at its length %d", n);
    for (int k = 0; k < n; k++)
        FUZZ_CHECK(full[k] >= 0x20 && full[k] < 0x7F, "unprintable byte 0x%02x in \"%s\"", (uint8_t)full[k], full);
    FUZZ_CHECK(insn_format(in, NULL, 0) == n, "the length without a buffer differs");
    size_t cuts[4] = {1, 2, (size_t)n / 2 + 1, (size_t)n};
    for (int c = 0; c < 4; c++) {
        size_t cap = cuts[c];
        char *small = malloc(cap);
        FUZZ_CHECK(small, "malloc");
        int m = insn_format(in, small, cap);
        size_t end = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
        FUZZ_CHECK(m == n && small[end] == 0 && strlen(small) == end && !memcmp(small, full, end),
                   "format into %zu bytes returned %d, text \"%.*s\"", cap, m, (int)cap, small);
        free(small);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum insn_mode mode = (enum insn_mode)(data[0] % 3);
    size_t avail = size - 1 < WINDOW ? size - 1 : WINDOW;
    uint8_t *code = fuzz_dup(data + 1, avail);

    struct insn in, again;
    memset(&in, 0, sizeof(in));
    int rc = insn_decode(code, avail, mode, &in);
    FUZZ_CHECK(insn_strerror(rc) != NULL, "no text for %d", rc);
    /* the fast path (MOV forms) and the general decoder agree on every input */
    struct insn full;
    memset(&full, 0, sizeof(full));
    int rc_full = insn_decode_full(code, avail, mode, &full);
    FUZZ_CHECK(rc_full == rc && (rc != INSN_OK || insn_same(&in, &full)),
               "insn_decode %d and insn_decode_full %d disagree", rc, rc_full);
    if (rc != INSN_OK) {
        FUZZ_CHECK(rc >= INSN_ERR_BAD_LOCK && rc <= INSN_ERR_INVALID_ARG, "unknown error %d", rc);
        FUZZ_CHECK(insn_format(NULL, NULL, 0) == -1, "formatting NULL");
        free(code);
        return 0;
    }
    check_fields(&in, mode, avail);

    /* the length is exact: the bytes after it do not matter, one fewer is not enough */
    uint8_t *exact = fuzz_dup(code, in.length);
    memset(&again, 0, sizeof(again));
    FUZZ_CHECK(insn_decode(exact, in.length, mode, &again) == INSN_OK && insn_same(&in, &again),
               "decoding exactly the %u bytes of the instruction gives another result", in.length);
    FUZZ_CHECK(insn_decode(exact, in.length - 1u, mode, &again) != INSN_OK,
               "%u bytes decode although the instruction is %u long", in.length - 1u, in.length);
    free(exact);

    struct fuzz_in rest = {data + 1 + avail, size - 1 - avail};
    uint64_t regs[16];
    for (int r = 0; r < 16; r++)
        regs[r] = 0x0123456789abcdefull * (uint64_t)(r + 1) ^ fuzz_u64(&rest);
    if (!in.mode64) /* outside 64-bit mode the upper halves are zero */
        for (int r = 0; r < 16; r++)
            regs[r] &= 0xFFFFFFFFull;
    uint64_t rflags = (fuzz_u32(&rest) & 0x3F7FD5u) | 2u, old = fuzz_u64(&rest), rip = fuzz_u64(&rest);
    check_emulation(&in, regs, rflags, old, rip);
    check_format(&in);
    free(code);
    return 0;
}

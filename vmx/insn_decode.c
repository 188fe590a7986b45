/*
 * insn_decode.c - decoder and one-access emulator for the instructions a
 * 16/32/64-bit guest uses on the APIC-access page or a memory hole.  See insn_decode.h for the
 * how and why; the formatter lives in insn_format.c.
 *
 * An x86 instruction is (Intel SDM Vol.2A §2.1, Figure 2-1):
 *
 *   [legacy prefixes] [REX] opcode(1-2) [ModR/M] [SIB] [displacement] [immediate]
 *
 * We read it strictly left to right with a small cursor that knows both
 * how many bytes the caller fetched (avail) and the architectural 15-byte
 * limit.
 */
#include "insn_decode.h"

/* ---------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------- */

/* All-ones mask for a 1-, 2-, 4- or 8-byte quantity. */
static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1u;
}

/* Sign-extend the low `size` bytes of v to 64 bits. */
static uint64_t sign_extend(uint64_t v, unsigned size)
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
static bool high_byte(bool rex, unsigned reg, unsigned size)
{
    return size == 1 && !rex && reg >= 4 && reg < 8;
}

static uint64_t gpr_read(const uint64_t *regs, bool rex, unsigned reg,
                         unsigned size)
{
    if (high_byte(rex, reg, size))
        return (regs[reg - 4] >> 8) & 0xffu;
    return regs[reg] & size_mask(size);
}

/* Write a register with x86 partial-register rules. */
static void gpr_write(uint64_t *regs, bool rex, unsigned reg, unsigned size,
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

/* ---------------------------------------------------------------------
 * Byte cursor
 * ------------------------------------------------------------------- */

struct cursor {
    const uint8_t *bytes;
    size_t avail;
    size_t pos;
};

/* Fetch one byte.  The 15-byte check comes first: a 16th byte can never be
 * part of a valid instruction, whether or not the caller fetched it. */
static int fetch_u8(struct cursor *c, uint8_t *out)
{
    if (c->pos >= INSN_MAX_LENGTH)
        return INSN_ERR_TOO_LONG;
    if (c->pos >= c->avail)
        return INSN_ERR_TRUNCATED;
    *out = c->bytes[c->pos++];
    return INSN_OK;
}

/* Fetch an n-byte little-endian value (n = 1, 2, 4 or 8). */
static int fetch_le(struct cursor *c, unsigned n, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++) {
        uint8_t b;
        int rc = fetch_u8(c, &b);
        if (rc)
            return rc;
        v |= (uint64_t)b << (8 * k);
    }
    *out = v;
    return INSN_OK;
}

/* ---------------------------------------------------------------------
 * ModR/M and SIB: the memory operand
 * ------------------------------------------------------------------- */

/* SDM Table 2-1 (16-bit addressing), rows mod=00..10, indexed by r/m:
 *   0 [BX+SI]  1 [BX+DI]  2 [BP+SI]  3 [BP+DI]
 *   4 [SI]     5 [DI]     6 [BP] (mod=00: disp16 only)  7 [BX]        */
static const int8_t modrm16_base[8] = {
    INSN_RBX, INSN_RBX, INSN_RBP, INSN_RBP, -1, -1, INSN_RBP, INSN_RBX };
static const int8_t modrm16_index[8] = {
    INSN_RSI, INSN_RDI, INSN_RSI, INSN_RDI, INSN_RSI, INSN_RDI, -1, -1 };

/* Read the displacement that follows ModR/M/SIB and sign-extend it. */
static int fetch_disp(struct cursor *c, struct insn *i, unsigned n)
{
    uint64_t v = 0;
    int rc = n ? fetch_le(c, n, &v) : INSN_OK;
    if (rc)
        return rc;
    i->disp_size = (uint8_t)n;
    i->disp = sign_extend(v, n);
    return INSN_OK;
}

/* 16-bit addressing (Table 2-1).  Default segment is SS whenever BP is
 * used as a base, DS otherwise (SDM Vol.1 §3.4.2, table "Default Segment
 * Selection Rules": stack references via BP/EBP/ESP use SS). */
static int decode_mem16(struct cursor *c, struct insn *i, uint8_t *def_seg)
{
    unsigned mod = i->modrm_mod, rm = i->modrm_rm;

    if (mod == 0 && rm == 6) {              /* [disp16], no registers */
        i->base_reg = -1;
        i->index_reg = -1;
        *def_seg = INSN_SEG_DS;
        return fetch_disp(c, i, 2);
    }
    i->base_reg = modrm16_base[rm];
    i->index_reg = modrm16_index[rm];
    *def_seg = (i->base_reg == INSN_RBP) ? INSN_SEG_SS : INSN_SEG_DS;
    return fetch_disp(c, i, mod == 1 ? 1 : mod == 2 ? 2 : 0);
}

/* 32- and 64-bit addressing (Tables 2-2 and 2-3; in 64-bit mode Table 2-4
 * for REX.X/REX.B and Table 2-7 for RIP-relative).  Default segment is SS
 * when the base register is (E/R)SP or (E/R)BP; the index never matters.
 * The special encodings (r/m=100: SIB; r/m=101 mod=00: disp32 or RIP;
 * SIB base=101 mod=00: no base) look at the 3 ModR/M/SIB bits only, so
 * REX.B does not change them; SIB index=100 means "none" only without
 * REX.X (R12 can be an index). */
static int decode_mem32(struct cursor *c, struct insn *i, uint8_t *def_seg)
{
    unsigned mod = i->modrm_mod, rm = i->modrm_rm;
    unsigned disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    unsigned rex_x = (i->rex >> 1) & 1, rex_b = i->rex & 1;
    int rc;

    i->index_reg = -1;
    if (rm == 4) {
        /* r/m=100: a SIB byte follows (Table 2-3). */
        uint8_t sib;
        if ((rc = fetch_u8(c, &sib)))
            return rc;
        i->has_sib = true;
        i->sib_scale = sib >> 6;
        i->sib_index = (sib >> 3) & 7;
        i->sib_base = sib & 7;
        i->scale = (uint8_t)(1u << i->sib_scale);
        /* index=100 means "none" (ESP cannot be an index). */
        i->index_reg = (i->sib_index == 4 && !rex_x)
                           ? -1 : (int8_t)(i->sib_index | rex_x << 3);
        if (i->sib_base == 5 && mod == 0) {
            /* base=101 with mod=00: no base, disp32 ("[*]" in Table 2-3) */
            i->base_reg = -1;
            disp_bytes = 4;
        } else {
            i->base_reg = (int8_t)(i->sib_base | rex_b << 3);
        }
    } else if (rm == 5 && mod == 0) {
        /* r/m=101 with mod=00: disp32 only; in 64-bit mode RIP + disp32 */
        i->base_reg = -1;
        i->rip_relative = i->mode64;
        disp_bytes = 4;
    } else {
        i->base_reg = (int8_t)(rm | rex_b << 3);
    }
    *def_seg = (i->base_reg == INSN_RSP || i->base_reg == INSN_RBP)
                   ? INSN_SEG_SS : INSN_SEG_DS;
    return fetch_disp(c, i, disp_bytes);
}

/* The register ModR/M.reg names, with REX.R (Table 2-4); for /digit
 * opcodes reg is an opcode extension and REX.R does not apply. */
static int8_t reg_operand(const struct insn *i)
{
    return (int8_t)(i->modrm_reg | ((i->rex >> 2) & 1) << 3);
}

/* Read ModR/M and the memory operand it describes.  mod=3 names a register,
 * which cannot be what touched the APIC page, so it is an error here. */
static int decode_modrm(struct cursor *c, struct insn *i, uint8_t *def_seg)
{
    uint8_t m;
    int rc = fetch_u8(c, &m);
    if (rc)
        return rc;
    i->has_modrm = true;
    i->modrm_mod = m >> 6;
    i->modrm_reg = (m >> 3) & 7;
    i->modrm_rm = m & 7;
    if (i->modrm_mod == 3)
        return INSN_ERR_REG_OPERAND;
    i->scale = 1;
    return i->addr_size == 2 ? decode_mem16(c, i, def_seg)
                             : decode_mem32(c, i, def_seg);
}

/* ---------------------------------------------------------------------
 * Opcodes
 * ------------------------------------------------------------------- */

/* Group 1 (80/81/83) ModR/M.reg -> operation; ADC(/2) and SBB(/3) need the
 * incoming carry and are left out. */
static const uint8_t group1_op[8] = {
    INSN_OP_ADD, INSN_OP_OR, INSN_OP_NONE, INSN_OP_NONE,
    INSN_OP_AND, INSN_OP_SUB, INSN_OP_XOR, INSN_OP_CMP };

/* Reg-source ALU forms 00/01, 08/09, 20/21, 28/29, 30/31, 38/39: the
 * operation is opcode bits 5:3 - the same numbering as group 1. */
static bool is_alu_rm_reg(uint8_t opc)
{
    return opc < 0x40 && (opc & 7) <= 1 && group1_op[opc >> 3] != INSN_OP_NONE;
}

/* Which ops touch memory how, and which may carry LOCK (SDM Vol.2 LOCK:
 * only read-modify-write memory forms; CMP/TEST/MOV #UD). */
static void set_access(struct insn *i)
{
    switch (i->op) {
    case INSN_OP_MOV_STORE: case INSN_OP_STOS:
        i->mem_write = true;
        break;
    case INSN_OP_ADD: case INSN_OP_OR: case INSN_OP_AND:
    case INSN_OP_SUB: case INSN_OP_XOR: case INSN_OP_XCHG:
        i->mem_read = i->mem_write = true;
        break;
    default:
        i->mem_read = true;
        break;
    }
}

/* Decode from the opcode byte on; prefixes are already in *i. */
static int decode_opcode(struct cursor *c, struct insn *i, uint8_t *def_seg)
{
    uint8_t opc, sub;
    unsigned full = i->opnd_size;      /* "v"-sized operand: 2, 4 or 8 bytes */
    unsigned w;                        /* opcode bit 0: byte vs full size */
    int rc;

    if ((rc = fetch_u8(c, &opc)))
        return rc;
    w = opc & 1;

    /* --- MOV and XCHG with ModR/M: 88-8B, 86/87 ------------------- */
    if ((opc >= 0x88 && opc <= 0x8b) || opc == 0x86 || opc == 0x87) {
        i->op = opc == 0x86 || opc == 0x87 ? INSN_OP_XCHG
              : opc <= 0x89 ? INSN_OP_MOV_STORE : INSN_OP_MOV_LOAD;
        i->size = i->reg_size = (uint8_t)(w ? full : 1);
        if ((rc = decode_modrm(c, i, def_seg)))
            return rc;
        i->reg = reg_operand(i);
        return INSN_OK;
    }

    /* --- ALU r/m, reg: 00/01 08/09 20/21 28/29 30/31 38/39; TEST 84/85 */
    if (is_alu_rm_reg(opc) || opc == 0x84 || opc == 0x85) {
        i->op = opc >= 0x84 ? INSN_OP_TEST : group1_op[opc >> 3];
        i->size = i->reg_size = (uint8_t)(w ? full : 1);
        if ((rc = decode_modrm(c, i, def_seg)))
            return rc;
        i->reg = reg_operand(i);
        return INSN_OK;
    }

    switch (opc) {
    case 0xc6: case 0xc7:      /* MOV r/m, imm: only /0 is MOV */
    case 0xf6: case 0xf7:      /* group 3: only /0 TEST r/m, imm here */
    case 0x80: case 0x81: case 0x83: {  /* group 1 ALU r/m, imm */
        unsigned imm_bytes;
        i->size = (uint8_t)((opc == 0x80 || !w) ? 1 : full);
        if ((rc = decode_modrm(c, i, def_seg)))
            return rc;
        if (opc >= 0x80 && opc <= 0x83) {
            i->op = group1_op[i->modrm_reg];
        } else if (i->modrm_reg == 0) {
            i->op = opc >= 0xf6 ? INSN_OP_TEST : INSN_OP_MOV_STORE;
        }
        if (i->op == INSN_OP_NONE)
            return INSN_ERR_UNSUPPORTED;
        /* 83 takes an imm8 sign-extended to the operand size; the others
         * an immediate of the operand size, but at most 4 bytes ("iz",
         * sign-extended to 64 bits with REX.W). */
        imm_bytes = opc == 0x83 ? 1 : i->size > 4 ? 4 : i->size;
        if ((rc = fetch_le(c, imm_bytes, &i->imm)))
            return rc;
        i->imm = sign_extend(i->imm, imm_bytes) & size_mask(i->size);
        i->has_imm = true;
        return INSN_OK;
    }

    case 0xa0: case 0xa1:      /* MOV AL/eAX, moffs */
    case 0xa2: case 0xa3:      /* MOV moffs, AL/eAX */
        /* The "moffs" displacement has the ADDRESS size (SDM MOV, note on
         * A0-A3), and there is no ModR/M. */
        i->op = opc <= 0xa1 ? INSN_OP_MOV_LOAD : INSN_OP_MOV_STORE;
        i->size = i->reg_size = (uint8_t)(w ? full : 1);
        i->reg = INSN_RAX;
        i->base_reg = i->index_reg = -1;
        i->scale = 1;
        *def_seg = INSN_SEG_DS;
        /* 64-bit mode: an 8-byte moffs (4 with 67) */
        if ((rc = fetch_le(c, i->addr_size, &i->disp)))
            return rc;
        i->disp_size = i->addr_size;
        return INSN_OK;

    case 0xaa: case 0xab:      /* STOS: ES:(E)DI, ES cannot be overridden */
    case 0xac: case 0xad:      /* LODS: DS:(E)SI, DS can be overridden */
        i->op = opc <= 0xab ? INSN_OP_STOS : INSN_OP_LODS;
        i->size = i->reg_size = (uint8_t)(w ? full : 1);
        i->reg = INSN_RAX;
        i->base_reg = opc <= 0xab ? INSN_RDI : INSN_RSI;
        i->index_reg = -1;
        i->scale = 1;
        *def_seg = opc <= 0xab ? INSN_SEG_ES : INSN_SEG_DS;
        if (i->op == INSN_OP_STOS) {
            i->seg_override = false;           /* the prefix is ignored */
            i->seg = INSN_SEG_ES;
        }
        return INSN_OK;

    case 0x0f:                 /* two-byte opcodes: MOVZX / MOVSX only */
        if ((rc = fetch_u8(c, &sub)))
            return rc;
        if (sub != 0xb6 && sub != 0xb7 && sub != 0xbe && sub != 0xbf)
            return INSN_ERR_UNSUPPORTED;
        i->op = sub <= 0xb7 ? INSN_OP_MOVZX : INSN_OP_MOVSX;
        i->size = (uint8_t)((sub & 1) ? 2 : 1);  /* source r/m8 or r/m16 */
        i->reg_size = (uint8_t)full;             /* destination r16/r32/r64 */
        if ((rc = decode_modrm(c, i, def_seg)))
            return rc;
        i->reg = reg_operand(i);
        return INSN_OK;

    default:
        return INSN_ERR_UNSUPPORTED;
    }
}

/* ---------------------------------------------------------------------
 * Public: decode
 * ------------------------------------------------------------------- */

int insn_decode(const uint8_t *bytes, size_t avail, enum insn_mode mode,
                struct insn *out)
{
    struct cursor c = { bytes, avail, 0 };
    struct insn i = { 0 };
    bool opnd_prefix = false, addr_prefix = false;
    int seg_prefix = -1;
    uint8_t def_seg = INSN_SEG_DS;
    int rc;

    if (!bytes || !out || (mode != INSN_MODE_16 && mode != INSN_MODE_32 &&
                           mode != INSN_MODE_64))
        return INSN_ERR_INVALID_ARG;

    i.reg = i.base_reg = i.index_reg = -1;
    i.mode64 = mode == INSN_MODE_64;

    /* Legacy prefixes (SDM Vol.2 §2.1.1), any order.  If one group repeats
     * the CPU's behaviour is unspecified; we let the last one win. */
    for (;;) {
        uint8_t b;
        if ((rc = fetch_u8(&c, &b)))
            return rc;
        switch (b) {
        case 0x26: seg_prefix = INSN_SEG_ES; continue;
        case 0x2e: seg_prefix = INSN_SEG_CS; continue;
        case 0x36: seg_prefix = INSN_SEG_SS; continue;
        case 0x3e: seg_prefix = INSN_SEG_DS; continue;
        case 0x64: seg_prefix = INSN_SEG_FS; continue;
        case 0x65: seg_prefix = INSN_SEG_GS; continue;
        case 0x66: opnd_prefix = true; continue;
        case 0x67: addr_prefix = true; continue;
        case 0xf0: i.lock = true; continue;
        /* F2/F3: REP on string ops; on MOV/ALU they are ignored or are
         * XACQUIRE/XRELEASE hints, which change nothing we emulate. */
        case 0xf2: case 0xf3: i.rep = true; continue;
        default: break;
        }
        /* REX (SDM Vol.2A §2.2.1): 64-bit mode only, and it counts only
         * right before the opcode - a legacy prefix after it voids it. */
        if (i.mode64 && (b & 0xf0) == 0x40) {
            uint8_t next;
            if ((rc = fetch_u8(&c, &next)))
                return rc;
            c.pos--;
            if ((next & 0xf0) == 0x40 || next == 0x26 || next == 0x2e ||
                next == 0x36 || next == 0x3e || next == 0x64 ||
                next == 0x65 || next == 0x66 || next == 0x67 ||
                next == 0xf0 || next == 0xf2 || next == 0xf3)
                continue;              /* an ignored REX: more prefixes */
            i.rex = b;
            break;
        }
        c.pos--;                       /* not a prefix: it is the opcode */
        break;
    }

    /* 66/67 toggle the size chosen by CS.D (SDM Vol.1 §3.6, table
     * "Effective Operand- and Address-Size Attributes"). */
    if (i.mode64) {
        /* SDM Vol.1 §3.6.1, Table 3-4: REX.W 64, else 66 -> 16, else 32;
         * addresses 64-bit, 67 -> 32 */
        i.opnd_size = (uint8_t)((i.rex & 8) ? 8 : opnd_prefix ? 2 : 4);
        i.addr_size = (uint8_t)(addr_prefix ? 4 : 8);
    } else {
        i.opnd_size = (uint8_t)(((mode == INSN_MODE_32) != opnd_prefix) ? 4 : 2);
        i.addr_size = (uint8_t)(((mode == INSN_MODE_32) != addr_prefix) ? 4 : 2);
    }
    i.seg_override = seg_prefix >= 0;

    if ((rc = decode_opcode(&c, &i, &def_seg)))
        return rc;

    if (i.op != INSN_OP_STOS)
        i.seg = (uint8_t)(seg_prefix >= 0 ? seg_prefix : def_seg);
    if (i.op != INSN_OP_STOS && i.op != INSN_OP_LODS)
        i.rep = false;                 /* only meaningful on string ops */
    set_access(&i);
    /* LOCK is legal only on read-modify-write memory forms. */
    if (i.lock && !(i.mem_read && i.mem_write))
        return INSN_ERR_BAD_LOCK;

    i.length = (uint8_t)c.pos;
    *out = i;
    return INSN_OK;
}

const char *insn_strerror(int err)
{
    switch (err) {
    case INSN_OK:              return "ok";
    case INSN_ERR_INVALID_ARG: return "invalid argument";
    case INSN_ERR_TRUNCATED:   return "instruction truncated";
    case INSN_ERR_TOO_LONG:    return "instruction longer than 15 bytes";
    case INSN_ERR_UNSUPPORTED: return "unsupported opcode";
    case INSN_ERR_REG_OPERAND: return "register operand where memory expected";
    case INSN_ERR_BAD_LOCK:    return "LOCK prefix on non-lockable instruction";
    default:                   return "unknown error";
    }
}

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

uint64_t insn_operand_offset(const struct insn *i, const uint64_t *regs,
                             uint64_t rip)
{
    uint64_t off;
    if (!i || !regs)
        return 0;
    /* 64-bit arithmetic, then the mask: the 64 KiB wrap of 16-bit
     * addressing (e.g. [BX+SI+disp]), the 4 GiB one of 32-bit. */
    off = i->disp;
    if (i->rip_relative)
        off += rip + i->length;        /* relative to the next instruction */
    if (i->base_reg >= 0)
        off += regs[i->base_reg];
    if (i->index_reg >= 0)
        off += regs[i->index_reg] * i->scale;
    return off & size_mask(i->addr_size);
}

uint64_t insn_effective_offset(const struct insn *i, const uint64_t *regs)
{
    return insn_operand_offset(i, regs, 0);
}

bool insn_segment_counts(const struct insn *i)
{
    return !i->mode64 || i->seg == INSN_SEG_FS || i->seg == INSN_SEG_GS;
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

/*
 * insn_decode.c - decoder for the instructions a
 * 16/32/64-bit guest uses on the APIC-access page or a memory hole.  See insn_decode.h for the
 * how and why; the one-access emulator is insn_emulate.c, the formatter insn_format.c.
 *
 * An x86 instruction is (Intel SDM Vol.2A §2.1, Figure 2-1):
 *
 *   [legacy prefixes] [REX] opcode(1-2) [ModR/M] [SIB] [displacement] [immediate]
 *
 * We read it strictly left to right with a small cursor that knows both
 * how many bytes the caller fetched (avail) and the architectural 15-byte
 * limit.
 */
#include "insn_internal.h"

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

/* Fetch an n-byte little-endian value (n = 1, 2, 4 or 8): one bounds test for the n bytes,
 * not one per byte; the errors are fetch_u8's. */
static int fetch_le(struct cursor *c, unsigned n, uint64_t *out)
{
    if (c->pos + n > INSN_MAX_LENGTH || c->pos + n > c->avail) {
        uint8_t b;
        int rc;
        while ((rc = fetch_u8(c, &b)) == INSN_OK) /* the first byte that fails, as fetch_u8 reports it */
            ;
        return rc;
    }
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)c->bytes[c->pos + k] << (8 * k);
    c->pos += n;
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
 * Fast path: the MOV forms real code uses on the APIC
 * ------------------------------------------------------------------- */

/* 89 /r (MOV r/m, reg), 8B /r (MOV reg, r/m) and C7 /0 (MOV r/m, imm) with
 * any ModR/M memory operand (with SIB, in 64-bit mode [rip+disp32]) after at
 * most 4 prefixes among 66, 67 and the segment overrides: what Linux
 * (writel: 89 04 25 disp32; mov %eax, 0x300(%rdx)), big-real-mode guests
 * (64 66 67 C7 05 disp32 imm32) and BIOS code write to the APIC.
 * Everything else (REX, LOCK, REP, other opcodes, a short buffer)
 * returns false and goes to the general decoder below, which this must
 * agree with field for field (tests/unit/test_insn_fast.c runs both). The
 * rules are the general decoder's: SDM Vol.2A 2.1 and Tables 2-1/2-2,
 * Vol.1 3.6 for the sizes, Vol.1 3.4.2 for the default segment. */
/* The prefixes the fast path takes: 66, 67 and the six segment overrides. */
enum { FP_NONE = 0, FP_OPND, FP_ADDR, FP_SEG };  /* FP_SEG + enum insn_seg */
static const uint8_t fast_prefix[256] = {
    [0x66] = FP_OPND, [0x67] = FP_ADDR,
    [0x26] = FP_SEG + INSN_SEG_ES, [0x2e] = FP_SEG + INSN_SEG_CS, [0x36] = FP_SEG + INSN_SEG_SS,
    [0x3e] = FP_SEG + INSN_SEG_DS, [0x64] = FP_SEG + INSN_SEG_FS, [0x65] = FP_SEG + INSN_SEG_GS,
};

/* Little-endian 16- and 32-bit fields of the encoding (the compiler makes each one load). */
static inline uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline __attribute__((always_inline)) bool decode_fast(const uint8_t *b, size_t avail, enum insn_mode mode,
                                                              struct insn *out)
{
    bool opnd_prefix = false, addr_prefix = false;
    int seg_prefix = -1;
    size_t pos = 0, end = avail < INSN_MAX_LENGTH ? avail : INSN_MAX_LENGTH;

    if (end < 2)
        return false;
    for (unsigned k; (k = fast_prefix[b[pos]]) != FP_NONE;) {
        if (k == FP_OPND)
            opnd_prefix = true;
        else if (k == FP_ADDR)
            addr_prefix = true;
        else
            seg_prefix = (int)(k - FP_SEG);
        if (++pos == 4 || pos + 2 > end)
            return false;
    }
    uint8_t opc = b[pos], m = b[pos + 1];
    unsigned mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
    if ((opc != 0x89 && opc != 0x8b && opc != 0xc7) || mod == 3 || (opc == 0xc7 && reg != 0))
        return false;
    pos += 2;

    /* sizes: SDM Vol.1 3.6, Table 3-4 (64-bit mode without REX.W) */
    bool m64 = mode == INSN_MODE_64;
    unsigned opnd = m64 ? (opnd_prefix ? 2 : 4) : ((mode == INSN_MODE_32) != opnd_prefix) ? 4 : 2;
    unsigned addr = m64 ? (addr_prefix ? 4 : 8) : ((mode == INSN_MODE_32) != addr_prefix) ? 4 : 2;

    /* the memory operand, checked whole before anything is written */
    int base, index = -1;
    unsigned disp_bytes, sib = 0;
    bool has_sib = false, rip_rel = false;
    if (addr == 2) {                  /* Table 2-1 */
        if (mod == 0 && rm == 6) {
            base = -1;
            disp_bytes = 2;
        } else {
            base = modrm16_base[rm];
            index = modrm16_index[rm];
            disp_bytes = mod == 1 ? 1 : mod == 2 ? 2 : 0;
        }
    } else {                          /* Tables 2-2 and 2-3 */
        disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
        if (rm == 4) {                /* SIB; without REX.X index 100 is none */
            if (pos >= end)
                return false;
            sib = b[pos++];
            has_sib = true;
            index = ((sib >> 3) & 7) == 4 ? -1 : (int)((sib >> 3) & 7);
            if ((sib & 7) == 5 && mod == 0) {
                base = -1;            /* [index*scale + disp32], Linux's [disp32] */
                disp_bytes = 4;
            } else {
                base = (int)(sib & 7);
            }
        } else if (mod == 0 && rm == 5) {
            base = -1;
            rip_rel = m64;
            disp_bytes = 4;
        } else {
            base = (int)rm;
        }
    }
    unsigned imm_bytes = opc == 0xc7 ? opnd : 0; /* iz: 2 or 4 without REX.W */
    if (pos + disp_bytes + imm_bytes > end)
        return false;

    /* Vol.1 3.4.2: SS for a BP/SP base (16-bit addressing: BP only) */
    uint8_t def_seg = base == INSN_RBP || (base == INSN_RSP && addr != 2) ? INSN_SEG_SS : INSN_SEG_DS;
    *out = (struct insn){
        .op = opc == 0x8b ? INSN_OP_MOV_LOAD : INSN_OP_MOV_STORE,
        .size = (uint8_t)opnd,
        .seg = (uint8_t)(seg_prefix >= 0 ? seg_prefix : def_seg),
        .opnd_size = (uint8_t)opnd,
        .addr_size = (uint8_t)addr,
        .mode64 = m64,
        .rip_relative = rip_rel,
        .seg_override = seg_prefix >= 0,
        .mem_read = opc == 0x8b,
        .mem_write = opc != 0x8b,
        .reg = opc == 0xc7 ? -1 : (int8_t)reg,
        .reg_size = (uint8_t)(opc == 0xc7 ? 0 : opnd),
        .has_modrm = true,
        .modrm_mod = (uint8_t)mod,
        .modrm_reg = (uint8_t)reg,
        .modrm_rm = (uint8_t)rm,
        .has_sib = has_sib,
        .sib_scale = (uint8_t)(sib >> 6),
        .sib_index = (uint8_t)((sib >> 3) & 7),
        .sib_base = (uint8_t)(sib & 7),
        .base_reg = (int8_t)base,
        .index_reg = (int8_t)index,
        .scale = (uint8_t)(1u << (sib >> 6)),
        .disp_size = (uint8_t)disp_bytes,
        .disp = disp_bytes == 1 ? (uint64_t)(int64_t)(int8_t)b[pos]
              : disp_bytes == 2 ? (uint64_t)(int64_t)(int16_t)le16(b + pos)
              : disp_bytes == 4 ? (uint64_t)(int64_t)(int32_t)le32(b + pos) : 0,
    };
    pos += disp_bytes;
    if (opc == 0xc7) {                /* an immediate of the operand size: nothing to extend */
        out->imm = imm_bytes == 2 ? le16(b + pos) : le32(b + pos);
        out->has_imm = true;
        pos += imm_bytes;
    }
    out->length = (uint8_t)pos;
    return true;
}

bool insn_decode_fast(const uint8_t *bytes, size_t avail, enum insn_mode mode, struct insn *out)
{
    return bytes && out && decode_fast(bytes, avail, mode, out);
}

/* ---------------------------------------------------------------------
 * Public: decode
 * ------------------------------------------------------------------- */

int insn_decode(const uint8_t *bytes, size_t avail, enum insn_mode mode,
                struct insn *out)
{
    if (!bytes || !out || (mode != INSN_MODE_16 && mode != INSN_MODE_32 &&
                           mode != INSN_MODE_64))
        return INSN_ERR_INVALID_ARG;
    if (decode_fast(bytes, avail, mode, out))
        return INSN_OK;
    return insn_decode_full(bytes, avail, mode, out);
}

__attribute__((noinline)) int insn_decode_full(const uint8_t *bytes, size_t avail, enum insn_mode mode,
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

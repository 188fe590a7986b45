/*
 * insn_decode.h - decode and emulate the x86 instructions a guest uses to
 * touch the APIC-access page, or a guest-physical hole (vmx/exit_ept.c).
 *
 * Why this exists
 * ---------------
 * With "virtualize APIC accesses" enabled but without APIC-register
 * virtualization, a guest access to the APIC-access page causes a VM exit
 * with basic reason 44 ("APIC access").  The exit is fault-like: RIP still
 * points at the instruction, and the exit qualification only tells us the
 * page offset (bits 11:0) and the access type (read / write / ...).  It
 * does NOT tell us the value written or the register to load.  So the
 * hypervisor fetches the instruction bytes at CS:RIP, decodes them here,
 * and then emulates exactly one memory access:
 *
 *     struct insn in;
 *     int rc = insn_decode(bytes, n, INSN_MODE_16 / _32 / _64, &in);
 *     if (rc < 0)  -> log insn_strerror(rc), stop the guest or inject #UD
 *     sanity: (seg_base[in.seg] + insn_operand_offset(&in, regs, rip)) & 0xfff
 *             == the page offset in the exit qualification
 *     if (in.mem_read)  old = apic_read(offset, in.size);
 *     if (insn_store_value(&in, regs, old, &v)) apic_write(offset, in.size, v);
 *     rflags = insn_update_rflags(&in, regs, old, rflags);  (ALU/CMP/TEST)
 *     insn_apply_load(&in, regs, old);          (false for pure stores)
 *     if (insn_string_advance(&in, regs, rflags)) rip += in.length;
 *
 * (Call insn_store_value and insn_update_rflags before insn_apply_load:
 * they read the source register, and XCHG's load overwrites it.)
 *
 * Modes: 16-bit real mode / big real mode, 32-bit protected mode, and
 * 64-bit mode (SDM Vol.2A §2.2 "IA-32e Mode"): REX prefixes (W: 64-bit
 * operand; R, X, B: registers 8-15 in ModR/M.reg, SIB.index, r/m or
 * SIB.base), the 64-bit default address size, RIP-relative addressing
 * (ModR/M mod=00 r/m=101, Table 2-7), 64-bit moffs, SPL..DIL instead of
 * AH..BH when a REX prefix is present.  In 64-bit mode the CS, DS, ES and
 * SS bases are treated as 0 (SDM Vol.1 §3.4.2.1): the caller adds a base
 * only for FS and GS (insn_segment_counts).  Outside 64-bit mode bytes
 * 0x40-0x4F are INC/DEC and simply "unsupported".
 *
 * Reference: Intel SDM Vol. 2A, Chapter 2 "Instruction Format":
 *   §2.1 (Figure 2-1) prefixes, opcode, ModR/M, SIB, displacement, immediate;
 *   Table 2-1 16-bit addressing forms with the ModR/M byte;
 *   Table 2-2 32-bit addressing forms with the ModR/M byte;
 *   Table 2-3 32-bit addressing forms with the SIB byte.
 *
 * Freestanding C11: only <stdint.h>, <stddef.h>, <stdbool.h>, no libc
 * calls.  (As with any freestanding GCC/Clang build, the compiler may still
 * emit memset/memcpy for struct initialisation and copies; the kernel
 * provides those.)
 */
#ifndef VMXLAB_VMX_INSN_DECODE_H
#define VMXLAB_VMX_INSN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default operand and address size, taken from the D bit of the guest's CS
 * descriptor (CS access rights in the VMCS).  Real mode is INSN_MODE_16. */
enum insn_mode { INSN_MODE_16, INSN_MODE_32, INSN_MODE_64 };

/* The architectural instruction-length limit (SDM Vol.2 §2.1). */
#define INSN_MAX_LENGTH 15

/* What the instruction does with its memory operand. */
enum insn_op {
    INSN_OP_NONE = 0,
    INSN_OP_MOV_STORE, /* 88/89, C6/C7, A2/A3: mem <- reg | imm            */
    INSN_OP_MOV_LOAD,  /* 8A/8B, A0/A1:        reg <- mem                  */
    INSN_OP_MOVZX,     /* 0F B6/B7:            reg <- zero-extend(mem)     */
    INSN_OP_MOVSX,     /* 0F BE/BF:            reg <- sign-extend(mem)     */
    INSN_OP_STOS,      /* AA/AB:   [ES:(E)DI] <- AL/AX/EAX                 */
    INSN_OP_LODS,      /* AC/AD:   AL/AX/EAX  <- [seg:(E)SI]               */
    INSN_OP_ADD,       /* 00/01, 80-83 /0:   mem <- mem + src  (flags)     */
    INSN_OP_OR,        /* 08/09, 80-83 /1                                  */
    INSN_OP_AND,       /* 20/21, 80-83 /4                                  */
    INSN_OP_SUB,       /* 28/29, 80-83 /5                                  */
    INSN_OP_XOR,       /* 30/31, 80-83 /6                                  */
    INSN_OP_CMP,       /* 38/39, 80-83 /7:   flags only, memory not written */
    INSN_OP_TEST,      /* 84/85, F6/F7 /0:   flags only, memory not written */
    INSN_OP_XCHG,      /* 86/87:   mem <- reg and reg <- old mem           */
};

/* Segment register numbers, in the SDM's Sreg encoding order. */
enum insn_seg { INSN_SEG_ES = 0, INSN_SEG_CS, INSN_SEG_SS, INSN_SEG_DS,
                INSN_SEG_FS, INSN_SEG_GS };

/* General-purpose register numbers, the order used in ModR/M and in the
 * regs arrays below (8 entries suffice outside 64-bit mode, 16 in it).
 * For 1-byte register operands without a REX prefix, numbers 4..7 mean
 * AH, CH, DH, BH (bits 15:8 of regs[0..3]); with one, SPL..DIL. */
enum insn_gpr { INSN_RAX = 0, INSN_RCX, INSN_RDX, INSN_RBX,
                INSN_RSP, INSN_RBP, INSN_RSI, INSN_RDI,
                INSN_R8, INSN_R9, INSN_R10, INSN_R11,
                INSN_R12, INSN_R13, INSN_R14, INSN_R15 };

/* Error codes returned (negated) by insn_decode(). */
enum insn_error {
    INSN_OK = 0,
    INSN_ERR_INVALID_ARG = -1,  /* NULL pointer or bad mode              */
    INSN_ERR_TRUNCATED   = -2,  /* ran out of fetched bytes              */
    INSN_ERR_TOO_LONG    = -3,  /* more than 15 bytes (CPU raises #GP)   */
    INSN_ERR_UNSUPPORTED = -4,  /* opcode / form not handled here        */
    INSN_ERR_REG_OPERAND = -5,  /* ModR/M mod=3: no memory operand       */
    INSN_ERR_BAD_LOCK    = -6,  /* LOCK on a non-lockable form (#UD)     */
};

/* Result of decoding one instruction. */
struct insn {
    uint8_t  length;     /* total bytes including prefixes               */
    uint8_t  op;         /* enum insn_op                                 */
    uint8_t  size;       /* memory access size in bytes: 1, 2, 4 or 8    */
    uint8_t  seg;        /* enum insn_seg after overrides and defaults   */
    uint8_t  opnd_size;  /* effective operand size: 2, 4 or 8            */
    uint8_t  addr_size;  /* effective address size: 2, 4 or 8            */
    uint8_t  rex;        /* the REX prefix (0x40-0x4F), 0 if none        */
    bool     mode64;     /* decoded in 64-bit mode                       */
    bool     rip_relative; /* [rip+disp32]: offset = next RIP + disp     */
    bool     rep;        /* F2/F3 on a string instruction                */
    bool     lock;       /* F0 prefix present                            */
    bool     seg_override; /* a segment prefix selected .seg             */
    bool     mem_read;   /* the instruction reads its memory operand     */
    bool     mem_write;  /* the instruction writes its memory operand    */

    /* Register operand (source of a store, destination of a load). */
    int8_t   reg;        /* enum insn_gpr, -1 if none                    */
    uint8_t  reg_size;   /* 1, 2, 4 or 8 (1 with reg 4..7 and no REX = AH..BH) */

    /* Immediate operand, already sign-extended/truncated to .size. */
    bool     has_imm;
    uint64_t imm;

    /* Raw ModR/M and SIB pieces (for the curious and for the log). */
    bool     has_modrm;
    uint8_t  modrm_mod, modrm_reg, modrm_rm;
    bool     has_sib;
    uint8_t  sib_scale, sib_index, sib_base;

    /* Resolved memory operand: offset = base + index*scale + disp,
     * wrapped to addr_size.  String ops use base = (E)SI or (E)DI;
     * moffs forms have only a displacement. */
    int8_t   base_reg;   /* enum insn_gpr, -1 if none                    */
    int8_t   index_reg;  /* enum insn_gpr, -1 if none                    */
    uint8_t  scale;      /* 1, 2, 4 or 8                                 */
    uint8_t  disp_size;  /* 0, 1, 2, 4 or 8 (moffs64) bytes in the encoding */
    uint64_t disp;       /* sign-extended to 64 bits                     */
};

/* Decode the instruction at bytes[0..avail).  mode gives the default
 * operand/address size.  Returns INSN_OK (0) and fills *out, or a negative
 * enum insn_error.  avail may be larger than the instruction. */
int insn_decode(const uint8_t *bytes, size_t avail, enum insn_mode mode,
                struct insn *out);

/* insn_decode() first tries a short path for the MOV forms real code uses
 * on the APIC (89 /r, 8B /r, C7 /0 with a [disp] or [reg+disp] operand and
 * only 66/67/segment prefixes: ~40 instructions instead of ~330) and hands
 * everything else to this, the general decoder.  Both give the same result
 * for every input; the host tests and the fuzz target call this one to
 * check that. */
int insn_decode_full(const uint8_t *bytes, size_t avail, enum insn_mode mode,
                     struct insn *out);
/* The short path alone: true and *out as insn_decode_full would fill it,
 * or false (nothing written) for anything it does not handle. */
bool insn_decode_fast(const uint8_t *bytes, size_t avail, enum insn_mode mode,
                      struct insn *out);

/* Static English text for an insn_decode() return value. */
const char *insn_strerror(int err);

/* For instructions that write memory (mem_write): the value stored, masked
 * to i->size.  old is the current memory value, needed by read-modify-write
 * forms (ADD/OR/AND/SUB/XOR); ignored otherwise.  Returns false (and leaves
 * *value alone) if the instruction does not write memory. */
bool insn_store_value(const struct insn *i, const uint64_t *regs,
                      uint64_t old, uint64_t *value);

/* For instructions that load into a register (MOV/MOVZX/MOVSX/LODS/XCHG):
 * write value (the memory contents) into the destination register with x86
 * width rules: 8-bit writes touch only AL..BL or AH..BH, 16-bit writes keep
 * bits 63:16, 32-bit writes zero-extend to 64 bits.  Returns false and
 * changes nothing if the instruction has no register destination. */
bool insn_apply_load(const struct insn *i, uint64_t *regs, uint64_t value);

/* Offset of the memory operand within its segment (add the base of
 * segment i->seg to get the linear address, if insn_segment_counts).
 * Wraps at 64 KiB for 16-bit addressing, at 4 GiB for 32-bit addressing.
 * regs are the values BEFORE emulation; rip is the instruction's own RIP
 * (RIP-relative operands are relative to the NEXT instruction).  Inline:
 * the APIC-access exit computes it on every exit. */
static inline uint64_t insn_operand_offset(const struct insn *i, const uint64_t *regs,
                                           uint64_t rip)
{
    /* 64-bit arithmetic, then the mask: the 64 KiB wrap of 16-bit
     * addressing (e.g. [BX+SI+disp]), the 4 GiB one of 32-bit. */
    uint64_t off = i->disp;
    if (i->rip_relative)
        off += rip + i->length;        /* relative to the next instruction */
    if (i->base_reg >= 0)
        off += regs[i->base_reg];
    if (i->index_reg >= 0)
        off += regs[i->index_reg] * i->scale;
    return i->addr_size >= 8 ? off : off & ((1ull << (i->addr_size * 8)) - 1u);
}
/* The same without RIP-relative addressing (16- and 32-bit code). */
static inline uint64_t insn_effective_offset(const struct insn *i, const uint64_t *regs)
{
    return insn_operand_offset(i, regs, 0);
}

/* Whether the base of segment i->seg takes part in the linear address:
 * always outside 64-bit mode; only FS and GS in it (SDM Vol.1 §3.4.2.1). */
static inline bool insn_segment_counts(const struct insn *i)
{
    return !i->mode64 || i->seg == INSN_SEG_FS || i->seg == INSN_SEG_GS;
}

/* Arithmetic flags after an ADD/OR/AND/SUB/XOR/CMP/TEST: returns rflags with
 * CF, PF, AF, ZF, SF and OF recomputed from old (the memory value) and the
 * source operand (from regs, BEFORE emulation).  AF is cleared for the
 * logical ops (architecturally undefined).  Other ops: rflags unchanged. */
uint64_t insn_update_rflags(const struct insn *i, const uint64_t *regs,
                            uint64_t old, uint64_t rflags);

/* Finish a string instruction after its one memory access: step (E)SI or
 * (E)DI by +-size according to RFLAGS.DF, and for REP decrement (E)CX.
 * Returns true if RIP should move past the instruction: always for
 * non-string instructions and for plain STOS/LODS; for REP only once the
 * count reaches zero (otherwise the guest re-executes the same instruction,
 * exactly as after an interrupted REP - one iteration per exit). */
bool insn_string_advance(const struct insn *i, uint64_t *regs,
                         uint64_t rflags);

/* One-line Intel-syntax mnemonic for the log, e.g.
 * "mov dword [es:di+0x300], eax".  Behaves like snprintf: writes at most
 * len bytes including the NUL, returns the length the full text needs
 * (or -1 if i is NULL/invalid).  Implemented in insn_format.c. */
int insn_format(const struct insn *i, char *buf, size_t len);

#endif /* VMXLAB_VMX_INSN_DECODE_H */

/*
 * test_insn_decode.c - host unit tests for the decoder and formatter
 * (vmx/insn_decode.c, vmx/insn_format.c), cmocka.  The emulation
 * helpers (loads, addresses, strings, flags) are in test_insn_emulate.c.
 *
 * Build and run from the repository root:
 *   gcc -std=c11 -Wall -Wextra -Werror -I. tests/unit/test_insn_decode.c \
 *       vmx/insn_decode.c vmx/insn_format.c -lcmocka -o /tmp/t && /tmp/t
 *
 * Every encoding in the table was worked out by hand from the SDM
 * (Vol.2A Tables 2-1..2-3); the ModR/M and SIB bytes are spelled out as
 * mod/reg/rm and scale/index/base in the comments so they can be checked.
 * Each table row is also a store-value, effective-address and formatting
 * test against the fixed REGS and OLD.
 */
#include "insn_test_common.h"


struct decode_case {
    const char    *name;
    enum insn_mode mode;
    uint8_t        bytes[16];
    size_t         n;
    /* expectations */
    uint8_t  length, op, size, seg, opnd_size, addr_size;
    int8_t   reg;
    uint8_t  reg_size;
    bool     has_imm;
    uint32_t imm;
    bool     lock, rep, reads, writes;
    uint32_t store;     /* insn_store_value(.., OLD, ..) when .writes */
    uint32_t ea;        /* insn_effective_offset with REGS            */
    const char *text;   /* insn_format                                */
};

static const struct decode_case cases[] = {
    /* ---- the real-world examples from the design notes ---------------- */
    { "16: mov [es:di], eax (66 26 89 /r)", M16,
      BYTES(0x66, 0x26, 0x89, 0x05),           /* 00 000 101: [DI] */
      .length = 4, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_ES,
      .opnd_size = 4, .addr_size = 2, .reg = INSN_RAX, .reg_size = 4,
      .writes = true, .store = 0x87654321, .ea = 0x300,
      .text = "mov dword [es:di], eax" },
    { "16: mov dword [es:di+0x300], eax", M16,
      BYTES(0x66, 0x26, 0x89, 0x85, 0x00, 0x03), /* 10 000 101 */
      .length = 6, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_ES,
      .opnd_size = 4, .addr_size = 2, .reg = INSN_RAX, .reg_size = 4,
      .writes = true, .store = 0x87654321, .ea = 0x600,
      .text = "mov dword [es:di+0x300], eax" },
    { "16 big-real: mov dword [0x300], 0x4500 (66 67 C7 /0)", M16,
      BYTES(0x66, 0x67, 0xc7, 0x05, 0x00, 0x03, 0x00, 0x00,
            0x00, 0x45, 0x00, 0x00),           /* 00 000 101: disp32 */
      .length = 12, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, NOREG, .has_imm = true, .imm = 0x4500,
      .writes = true, .store = 0x4500, .ea = 0x300,
      .text = "mov dword [ds:0x300], 0x4500" },
    { "16: mov [fs:0x300], eax (64 66 A3 moffs16)", M16,
      BYTES(0x64, 0x66, 0xa3, 0x00, 0x03),
      .length = 5, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_FS,
      .opnd_size = 4, .addr_size = 2, .reg = INSN_RAX, .reg_size = 4,
      .writes = true, .store = 0x87654321, .ea = 0x300,
      .text = "mov dword [fs:0x300], eax" },
    { "32: mov [fs:0x300], eax (64 89 /r disp32)", M32,
      BYTES(0x64, 0x89, 0x05, 0x00, 0x03, 0x00, 0x00),
      .length = 7, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_FS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .writes = true, .store = 0x87654321, .ea = 0x300,
      .text = "mov dword [fs:0x300], eax" },
    { "32: mov dword [0xfee00300], 0x4500", M32,
      BYTES(0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x00, 0x00),
      .length = 10, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, NOREG, .has_imm = true, .imm = 0x4500,
      .writes = true, .store = 0x4500, .ea = 0xfee00300,
      .text = "mov dword [ds:0xfee00300], 0x4500" },
    { "32: or dword [0xfee000f0], 0x100 (SVR enable)", M32,
      BYTES(0x81, 0x0d, 0xf0, 0x00, 0xe0, 0xfe, 0x00, 0x01, 0x00, 0x00),
      .length = 10, .op = INSN_OP_OR, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, NOREG, .has_imm = true, .imm = 0x100,
      .reads = true, .writes = true, .store = 0x8421f1f5, .ea = 0xfee000f0,
      .text = "or dword [ds:0xfee000f0], 0x100" },

    /* ---- 16-bit ModR/M (Table 2-1) ------------------------------------ */
    { "16: mov ax, [bp+si+0x10] -> SS", M16,
      BYTES(0x8b, 0x42, 0x10),                 /* 01 000 010 */
      .length = 3, .op = INSN_OP_MOV_LOAD, .size = 2, .seg = INSN_SEG_SS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RAX, .reg_size = 2,
      .reads = true, .ea = 0x2020, .text = "mov ax, word [ss:bp+si+0x10]" },
    { "16: mov ax, [bp-2] disp8 negative -> SS", M16,
      BYTES(0x8b, 0x46, 0xfe),                 /* 01 000 110 */
      .length = 3, .op = INSN_OP_MOV_LOAD, .size = 2, .seg = INSN_SEG_SS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RAX, .reg_size = 2,
      .reads = true, .ea = 0x1ffe, .text = "mov ax, word [ss:bp-0x2]" },
    { "16: mov word [bp+0x20], 0x1234", M16,
      BYTES(0xc7, 0x46, 0x20, 0x34, 0x12),     /* 01 000 110 */
      .length = 5, .op = INSN_OP_MOV_STORE, .size = 2, .seg = INSN_SEG_SS,
      .opnd_size = 2, .addr_size = 2, NOREG, .has_imm = true, .imm = 0x1234,
      .writes = true, .store = 0x1234, .ea = 0x2020,
      .text = "mov word [ss:bp+0x20], 0x1234" },
    { "16: mov [0x300], al (mod=00 rm=110 is disp16, DS)", M16,
      BYTES(0x88, 0x06, 0x00, 0x03),           /* 00 000 110 */
      .length = 4, .op = INSN_OP_MOV_STORE, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RAX, .reg_size = 1,
      .writes = true, .store = 0x21, .ea = 0x300,
      .text = "mov byte [ds:0x300], al" },
    { "16: mov [bx+di-2], cx (disp16 0xfffe)", M16,
      BYTES(0x89, 0x89, 0xfe, 0xff),           /* 10 001 001 */
      .length = 4, .op = INSN_OP_MOV_STORE, .size = 2, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RCX, .reg_size = 2,
      .writes = true, .store = 0x0102, .ea = 0x12fe,
      .text = "mov word [ds:bx+di-0x2], cx" },
    { "16: mov [ss:bx], dl (36 override)", M16,
      BYTES(0x36, 0x88, 0x17),                 /* 00 010 111 */
      .length = 3, .op = INSN_OP_MOV_STORE, .size = 1, .seg = INSN_SEG_SS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RDX, .reg_size = 1,
      .writes = true, .store = 0x04, .ea = 0x1000,
      .text = "mov byte [ss:bx], dl" },
    { "16: mov ax, [ds:bp+2] (3E overrides SS default)", M16,
      BYTES(0x3e, 0x8b, 0x46, 0x02),
      .length = 4, .op = INSN_OP_MOV_LOAD, .size = 2, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RAX, .reg_size = 2,
      .reads = true, .ea = 0x2002, .text = "mov ax, word [ds:bp+0x2]" },
    { "16: mov al, [0x300] (A0 moffs16)", M16,
      BYTES(0xa0, 0x00, 0x03),
      .length = 3, .op = INSN_OP_MOV_LOAD, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RAX, .reg_size = 1,
      .reads = true, .ea = 0x300, .text = "mov al, byte [ds:0x300]" },
    { "16: movzx eax, byte [0x20] (66 0F B6)", M16,
      BYTES(0x66, 0x0f, 0xb6, 0x06, 0x20, 0x00),
      .length = 6, .op = INSN_OP_MOVZX, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 2, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0x20, .text = "movzx eax, byte [ds:0x20]" },
    { "16: or word [bx], -1 (83 /1 ib sign-extended)", M16,
      BYTES(0x83, 0x0f, 0xff),                 /* 00 001 111 */
      .length = 3, .op = INSN_OP_OR, .size = 2, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, NOREG, .has_imm = true, .imm = 0xffff,
      .reads = true, .writes = true, .store = 0xffff, .ea = 0x1000,
      .text = "or word [ds:bx], 0xffff" },
    { "16: and byte [si], 0x7f (80 /4)", M16,
      BYTES(0x80, 0x24, 0x7f),                 /* 00 100 100 */
      .length = 3, .op = INSN_OP_AND, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, NOREG, .has_imm = true, .imm = 0x7f,
      .reads = true, .writes = true, .store = 0x75, .ea = 0x10,
      .text = "and byte [ds:si], 0x7f" },
    { "16: add word [di], 0x10 (83 /0)", M16,
      BYTES(0x83, 0x05, 0x10),                 /* 00 000 101 */
      .length = 3, .op = INSN_OP_ADD, .size = 2, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, NOREG, .has_imm = true, .imm = 0x10,
      .reads = true, .writes = true, .store = 0xf105, .ea = 0x300,
      .text = "add word [ds:di], 0x10" },
    { "16: xchg [bx+si], bh (86 /r, reg 7 = BH)", M16,
      BYTES(0x86, 0x38),                       /* 00 111 000 */
      .length = 2, .op = INSN_OP_XCHG, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RDI, .reg_size = 1,
      .reads = true, .writes = true, .store = 0x10, .ea = 0x1010,
      .text = "xchg byte [ds:bx+si], bh" },
    { "16: rep stosd (F3 66 AB)", M16,
      BYTES(0xf3, 0x66, 0xab),
      .length = 3, .op = INSN_OP_STOS, .size = 4, .seg = INSN_SEG_ES,
      .opnd_size = 4, .addr_size = 2, .reg = INSN_RAX, .reg_size = 4,
      .rep = true, .writes = true, .store = 0x87654321, .ea = 0x300,
      .text = "rep stos dword [es:di], eax" },

    /* ---- 32-bit ModR/M and SIB (Tables 2-2, 2-3) ----------------------- */
    { "32: mov eax, [ebx+esi*4+0x10] (SIB)", M32,
      BYTES(0x8b, 0x44, 0xb3, 0x10),   /* 01 000 100; SIB 10 110 011 */
      .length = 4, .op = INSN_OP_MOV_LOAD, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0x1050,
      .text = "mov eax, dword [ds:ebx+esi*4+0x10]" },
    { "32: mov [esp+8], ecx (SIB base ESP -> SS)", M32,
      BYTES(0x89, 0x4c, 0x24, 0x08),   /* 01 001 100; SIB 00 100 100 */
      .length = 4, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_SS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RCX, .reg_size = 4,
      .writes = true, .store = 0xcafe0102, .ea = 0x7ff8,
      .text = "mov dword [ss:esp+0x8], ecx" },
    { "32: mov eax, [esp+esi] (SIB base ESP, index ESI -> SS)", M32,
      BYTES(0x8b, 0x04, 0x34),         /* 00 000 100; SIB 00 110 100 */
      .length = 3, .op = INSN_OP_MOV_LOAD, .size = 4, .seg = INSN_SEG_SS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0x8000, .text = "mov eax, dword [ss:esp+esi]" },
    { "32: mov [ebp-4], edx (base EBP -> SS)", M32,
      BYTES(0x89, 0x55, 0xfc),         /* 01 010 101 */
      .length = 3, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_SS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RDX, .reg_size = 4,
      .writes = true, .store = 0xbeef0304, .ea = 0x1ffc,
      .text = "mov dword [ss:ebp-0x4], edx" },
    { "32: mov eax, [ebp+0x300] (mod=10 rm=101 -> SS)", M32,
      BYTES(0x8b, 0x85, 0x00, 0x03, 0x00, 0x00),
      .length = 6, .op = INSN_OP_MOV_LOAD, .size = 4, .seg = INSN_SEG_SS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0x2300, .text = "mov eax, dword [ss:ebp+0x300]" },
    { "32: mov eax, [ebp+esi*2+8] (SIB base EBP, mod=01 -> SS)", M32,
      BYTES(0x8b, 0x44, 0x75, 0x08),   /* 01 000 100; SIB 01 110 101 */
      .length = 4, .op = INSN_OP_MOV_LOAD, .size = 4, .seg = INSN_SEG_SS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0x2028, .text = "mov eax, dword [ss:ebp+esi*2+0x8]" },
    { "32: mov eax, [ebp*1+0x300] (no base, EBP index -> DS)", M32,
      BYTES(0x8b, 0x04, 0x2d, 0x00, 0x03, 0x00, 0x00), /* SIB 00 101 101 */
      .length = 7, .op = INSN_OP_MOV_LOAD, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0x2300, .text = "mov eax, dword [ds:ebp+0x300]" },
    { "32: mov eax, [esi*2+0xfee00000] (no base)", M32,
      BYTES(0x8b, 0x04, 0x75, 0x00, 0x00, 0xe0, 0xfe), /* SIB 01 110 101 */
      .length = 7, .op = INSN_OP_MOV_LOAD, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0xfee00020,
      .text = "mov eax, dword [ds:esi*2+0xfee00000]" },
    { "32: mov [es:edi+0x300], eax", M32,
      BYTES(0x26, 0x89, 0x87, 0x00, 0x03, 0x00, 0x00), /* 10 000 111 */
      .length = 7, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_ES,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .writes = true, .store = 0x87654321, .ea = 0x600,
      .text = "mov dword [es:edi+0x300], eax" },
    { "32: mov eax, [0x300] via 67 A1 (moffs16)", M32,
      BYTES(0x67, 0xa1, 0x00, 0x03),
      .length = 4, .op = INSN_OP_MOV_LOAD, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 2, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .ea = 0x300, .text = "mov eax, dword [ds:0x300]" },
    { "32: F2 on mov is ignored, rep not reported", M32,
      BYTES(0xf2, 0x89, 0x05, 0x00, 0x03, 0x00, 0x00),
      .length = 7, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .writes = true, .store = 0x87654321, .ea = 0x300,
      .text = "mov dword [ds:0x300], eax" },
    { "32: 15-byte insn, last segment prefix (FS) wins", M32,
      BYTES(0x2e, 0x3e, 0x26, 0x64, 0xc7, 0x84, 0xb3, 0x78, 0x56, 0x34,
            0x12, 0x00, 0x45, 0x00, 0x00),      /* 10 000 100; 10 110 011 */
      .length = 15, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_FS,
      .opnd_size = 4, .addr_size = 4, NOREG, .has_imm = true, .imm = 0x4500,
      .writes = true, .store = 0x4500, .ea = 0x12345678 + 0x1040,
      .text = "mov dword [fs:ebx+esi*4+0x12345678], 0x4500" },
    { "32: movsx ecx, word [eax] (0F BF)", M32,
      BYTES(0x0f, 0xbf, 0x08),         /* 00 001 000 */
      .length = 3, .op = INSN_OP_MOVSX, .size = 2, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RCX, .reg_size = 4,
      .reads = true, .ea = 0x87654321, .text = "movsx ecx, word [ds:eax]" },
    { "32: lock xor [edi], eax", M32,
      BYTES(0xf0, 0x31, 0x07),         /* 00 000 111 */
      .length = 3, .op = INSN_OP_XOR, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .lock = true, .reads = true, .writes = true, .store = 0x0344b3d4,
      .ea = 0x300, .text = "lock xor dword [ds:edi], eax" },
    { "32: add [ebx], al (00 /r)", M32,
      BYTES(0x00, 0x03),
      .length = 2, .op = INSN_OP_ADD, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 1,
      .reads = true, .writes = true, .store = 0x16, .ea = 0x1000,
      .text = "add byte [ds:ebx], al" },
    { "32: sub [ebx], ah (28 /r, reg 4 = AH)", M32,
      BYTES(0x28, 0x23),               /* 00 100 011 */
      .length = 2, .op = INSN_OP_SUB, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RSP, .reg_size = 1,
      .reads = true, .writes = true, .store = 0xb2, .ea = 0x1000,
      .text = "sub byte [ds:ebx], ah" },
    { "32: o16 sub word [ecx], 1 (66 83 /5)", M32,
      BYTES(0x66, 0x83, 0x29, 0x01),   /* 00 101 001 */
      .length = 4, .op = INSN_OP_SUB, .size = 2, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 4, NOREG, .has_imm = true, .imm = 1,
      .reads = true, .writes = true, .store = 0xf0f4, .ea = 0xcafe0102,
      .text = "sub word [ds:ecx], 0x1" },
    { "32: xchg [ebx], eax (87 /r)", M32,
      BYTES(0x87, 0x03),
      .length = 2, .op = INSN_OP_XCHG, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .reads = true, .writes = true, .store = 0x87654321, .ea = 0x1000,
      .text = "xchg dword [ds:ebx], eax" },
    { "32: cmp dword [eax], 0 (83 /7)", M32,
      BYTES(0x83, 0x38, 0x00),
      .length = 3, .op = INSN_OP_CMP, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, NOREG, .has_imm = true, .imm = 0,
      .reads = true, .ea = 0x87654321, .text = "cmp dword [ds:eax], 0x0" },
    { "32: cmp [esi], edx (39 /r)", M32,
      BYTES(0x39, 0x16),               /* 00 010 110 */
      .length = 2, .op = INSN_OP_CMP, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RDX, .reg_size = 4,
      .reads = true, .ea = 0x10, .text = "cmp dword [ds:esi], edx" },
    { "32: test dword [eax+0x300], 0x1000 (F7 /0)", M32,
      BYTES(0xf7, 0x80, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00),
      .length = 10, .op = INSN_OP_TEST, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, NOREG, .has_imm = true, .imm = 0x1000,
      .reads = true, .ea = 0x87654621,
      .text = "test dword [ds:eax+0x300], 0x1000" },
    { "32: test byte [ebx+0x30], 1 (F6 /0 ib)", M32,
      BYTES(0xf6, 0x43, 0x30, 0x01),   /* 01 000 011 */
      .length = 4, .op = INSN_OP_TEST, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, NOREG, .has_imm = true, .imm = 1,
      .reads = true, .ea = 0x1030, .text = "test byte [ds:ebx+0x30], 0x1" },
    { "16: mov byte [di], 5 (C6 /0 ib)", M16,
      BYTES(0xc6, 0x05, 0x05),         /* 00 000 101 */
      .length = 3, .op = INSN_OP_MOV_STORE, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 2, .addr_size = 2, NOREG, .has_imm = true, .imm = 5,
      .writes = true, .store = 5, .ea = 0x300,
      .text = "mov byte [ds:di], 0x5" },
    { "16: mov [gs:0x80], al (65 A2 moffs16)", M16,
      BYTES(0x65, 0xa2, 0x80, 0x00),
      .length = 4, .op = INSN_OP_MOV_STORE, .size = 1, .seg = INSN_SEG_GS,
      .opnd_size = 2, .addr_size = 2, .reg = INSN_RAX, .reg_size = 1,
      .writes = true, .store = 0x21, .ea = 0x80,
      .text = "mov byte [gs:0x80], al" },
    { "32: and [ebx], ecx (21 /r)", M32,
      BYTES(0x21, 0x0b),               /* 00 001 011 */
      .length = 2, .op = INSN_OP_AND, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RCX, .reg_size = 4,
      .reads = true, .writes = true, .store = 0x8421f0f5u & 0xcafe0102u,
      .ea = 0x1000, .text = "and dword [ds:ebx], ecx" },
    { "32: or [cs:ebx], cx (66 2E 09 /r)", M32,
      BYTES(0x66, 0x2e, 0x09, 0x0b),
      .length = 4, .op = INSN_OP_OR, .size = 2, .seg = INSN_SEG_CS,
      .opnd_size = 2, .addr_size = 4, .reg = INSN_RCX, .reg_size = 2,
      .reads = true, .writes = true, .store = 0xf1f7, .ea = 0x1000,
      .text = "or word [cs:ebx], cx" },
    { "32: test [ebx], cl (84 /r)", M32,
      BYTES(0x84, 0x0b),               /* 00 001 011 */
      .length = 2, .op = INSN_OP_TEST, .size = 1, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RCX, .reg_size = 1,
      .reads = true, .ea = 0x1000, .text = "test byte [ds:ebx], cl" },
    { "32: stosb, FS override ignored (ES fixed)", M32,
      BYTES(0x64, 0xaa),
      .length = 2, .op = INSN_OP_STOS, .size = 1, .seg = INSN_SEG_ES,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 1,
      .writes = true, .store = 0x21, .ea = 0x300,
      .text = "stos byte [es:edi], al" },
    { "32: lods al, [fs:esi] (64 AC)", M32,
      BYTES(0x64, 0xac),
      .length = 2, .op = INSN_OP_LODS, .size = 1, .seg = INSN_SEG_FS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 1,
      .reads = true, .ea = 0x10, .text = "lods al, byte [fs:esi]" },
    { "32: trailing bytes after the insn are not consumed", M32,
      BYTES(0x89, 0x03, 0x90, 0x90, 0x90),
      .length = 2, .op = INSN_OP_MOV_STORE, .size = 4, .seg = INSN_SEG_DS,
      .opnd_size = 4, .addr_size = 4, .reg = INSN_RAX, .reg_size = 4,
      .writes = true, .store = 0x87654321, .ea = 0x1000,
      .text = "mov dword [ds:ebx], eax" },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* One cmocka test per table row; the row arrives as the initial state. */
static void test_decode_row(void **state)
{
    const struct decode_case *c = *state;
    struct insn in;
    uint64_t value = 0xdeadbeef;
    uint64_t regs[8];
    char text[96];

    assert_int_equal(insn_decode(c->bytes, c->n, c->mode, &in), INSN_OK);
    assert_int_equal(in.length, c->length);
    assert_int_equal(in.op, c->op);
    assert_int_equal(in.size, c->size);
    assert_int_equal(in.seg, c->seg);
    assert_int_equal(in.opnd_size, c->opnd_size);
    assert_int_equal(in.addr_size, c->addr_size);
    assert_int_equal(in.reg, c->reg);
    if (c->reg >= 0)
        assert_int_equal(in.reg_size, c->reg_size);
    assert_int_equal(in.has_imm, c->has_imm);
    assert_int_equal(in.imm, c->imm);
    assert_int_equal(in.lock, c->lock);
    assert_int_equal(in.rep, c->rep);
    assert_int_equal(in.mem_read, c->reads);
    assert_int_equal(in.mem_write, c->writes);

    memcpy(regs, REGS, sizeof(regs));
    assert_int_equal(insn_store_value(&in, regs, OLD, &value), c->writes);
    if (c->writes)
        assert_int_equal(value, c->store);
    else
        assert_int_equal(value, 0xdeadbeef);     /* untouched */
    assert_memory_equal(regs, REGS, sizeof(regs)); /* const in practice */

    assert_int_equal(insn_effective_offset(&in, REGS), c->ea);

    assert_int_equal(insn_format(&in, text, sizeof(text)),
                     (int)strlen(c->text));
    assert_string_equal(text, c->text);
}

/* ---------------------------------------------------------------------
 * Formatting edge cases
 * ------------------------------------------------------------------- */

static void test_format_truncates_like_snprintf(void **state)
{
    static const uint8_t b[] = { 0x66, 0x26, 0x89, 0x05 };
    struct insn in;
    char small[8];
    (void)state;
    assert_int_equal(insn_decode(b, sizeof(b), M16, &in), INSN_OK);
    memset(small, 'x', sizeof(small));
    assert_int_equal(insn_format(&in, small, sizeof(small)),
                     (int)strlen("mov dword [es:di], eax"));
    assert_string_equal(small, "mov dwo");
    /* length query without a buffer */
    assert_int_equal(insn_format(&in, NULL, 0), 22);
}

static void test_format_rejects_bad_input(void **state)
{
    struct insn in;
    char buf[16] = "unchanged";
    (void)state;
    memset(&in, 0, sizeof(in));            /* op = INSN_OP_NONE */
    assert_int_equal(insn_format(&in, buf, sizeof(buf)), -1);
    assert_int_equal(insn_format(NULL, buf, sizeof(buf)), -1);
    assert_string_equal(buf, "unchanged");
}

static void test_format_bp_large_disp16_unsigned(void **state)
{
    /* mov ax, [bx+0x8000]: 10 000 111 + disp16 0x8000 */
    static const uint8_t b[] = { 0x8b, 0x87, 0x00, 0x80 };
    struct insn in;
    char buf[64];
    (void)state;
    assert_int_equal(insn_decode(b, sizeof(b), M16, &in), INSN_OK);
    insn_format(&in, buf, sizeof(buf));
    assert_string_equal(buf, "mov ax, word [ds:bx+0x8000]");
}

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

struct error_case {
    const char    *name;
    enum insn_mode mode;
    uint8_t        bytes[20];
    size_t         n;
    int            err;
};

static const struct error_case errors[] = {
    { "empty buffer", M32, { 0 }, 0, INSN_ERR_TRUNCATED },
    { "prefixes only", M16, BYTES(0x66, 0x26), INSN_ERR_TRUNCATED },
    { "missing ModR/M", M16, BYTES(0x66, 0x26, 0x89), INSN_ERR_TRUNCATED },
    { "missing SIB", M32, BYTES(0x8b, 0x04), INSN_ERR_TRUNCATED },
    { "short disp32", M32, BYTES(0xc7, 0x05, 0x00, 0x03),
      INSN_ERR_TRUNCATED },
    { "short imm32", M32,
      BYTES(0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45),
      INSN_ERR_TRUNCATED },
    { "short moffs16", M16, BYTES(0xa3, 0x00), INSN_ERR_TRUNCATED },
    { "lone 0F", M32, BYTES(0x0f), INSN_ERR_TRUNCATED },
    { "nop", M32, BYTES(0x90), INSN_ERR_UNSUPPORTED },
    { "inc eax (40, no REX here)", M32, BYTES(0x40), INSN_ERR_UNSUPPORTED },
    { "movsb", M16, BYTES(0xa4), INSN_ERR_UNSUPPORTED },
    { "syscall 0F 05", M32, BYTES(0x0f, 0x05), INSN_ERR_UNSUPPORTED },
    { "C6 /1 (not MOV)", M32, BYTES(0xc6, 0x08, 0x00),
      INSN_ERR_UNSUPPORTED },
    { "adc 80 /2", M32, BYTES(0x80, 0x10, 0x01), INSN_ERR_UNSUPPORTED },
    { "adc 10 /r", M32, BYTES(0x10, 0x03), INSN_ERR_UNSUPPORTED },
    { "not F6 /2", M32, BYTES(0xf6, 0x10), INSN_ERR_UNSUPPORTED },
    { "mov r/m, sreg 8C", M16, BYTES(0x8c, 0x06, 0x00, 0x03),
      INSN_ERR_UNSUPPORTED },
    { "mov eax, eax (mod=3)", M32, BYTES(0x89, 0xc0),
      INSN_ERR_REG_OPERAND },
    { "movzx eax, al (mod=3)", M32, BYTES(0x0f, 0xb6, 0xc0),
      INSN_ERR_REG_OPERAND },
    { "add eax, 1 (83 mod=3)", M32, BYTES(0x83, 0xc0, 0x01),
      INSN_ERR_REG_OPERAND },
    { "lock mov", M32, BYTES(0xf0, 0x89, 0x05, 0x00, 0x03, 0x00, 0x00),
      INSN_ERR_BAD_LOCK },
    { "lock cmp", M32, BYTES(0xf0, 0x39, 0x16), INSN_ERR_BAD_LOCK },
    { "lock stosb", M32, BYTES(0xf0, 0xaa), INSN_ERR_BAD_LOCK },
    { "16 bytes (14 x 66 + 89 05 ...)", M32,
      BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66, 0x89, 0x05, 0x00, 0x03, 0x00, 0x00),
      INSN_ERR_TOO_LONG },
    { "15 prefixes, opcode would be byte 16", M32,
      BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66, 0x66), INSN_ERR_TOO_LONG },
};

#define N_ERRORS (sizeof(errors) / sizeof(errors[0]))

static void test_error_row(void **state)
{
    const struct error_case *c = *state;
    struct insn in;
    memset(&in, 0xa5, sizeof(in));
    assert_int_equal(insn_decode(c->bytes, c->n, c->mode, &in), c->err);
    /* *out is only written on success */
    assert_int_equal(in.length, 0xa5);
    assert_int_equal(in.op, 0xa5);
}

static void test_error_invalid_args(void **state)
{
    static const uint8_t b[] = { 0x89, 0x03 };
    struct insn in;
    (void)state;
    assert_int_equal(insn_decode(NULL, 2, M32, &in), INSN_ERR_INVALID_ARG);
    assert_int_equal(insn_decode(b, 2, M32, NULL), INSN_ERR_INVALID_ARG);
    assert_int_equal(insn_decode(b, 2, (enum insn_mode)7, &in),
                     INSN_ERR_INVALID_ARG);
}

static void test_strerror(void **state)
{
    static const int codes[] = {
        INSN_OK, INSN_ERR_INVALID_ARG, INSN_ERR_TRUNCATED, INSN_ERR_TOO_LONG,
        INSN_ERR_UNSUPPORTED, INSN_ERR_REG_OPERAND, INSN_ERR_BAD_LOCK };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    (void)state;
    assert_string_equal(insn_strerror(INSN_ERR_TRUNCATED),
                        "instruction truncated");
    assert_string_equal(insn_strerror(-99), "unknown error");
    /* every code has its own text */
    for (size_t a = 0; a < n; a++) {
        assert_string_not_equal(insn_strerror(codes[a]), "unknown error");
        for (size_t b = a + 1; b < n; b++)
            assert_string_not_equal(insn_strerror(codes[a]),
                                    insn_strerror(codes[b]));
    }
}

/* ---------------------------------------------------------------------
 * Runner: table rows become individual, named cmocka tests
 * ------------------------------------------------------------------- */

#define T(f) { #f, f, NULL, NULL, NULL }

static const struct CMUnitTest fixed_tests[] = {
    T(test_format_truncates_like_snprintf),
    T(test_format_rejects_bad_input),
    T(test_format_bp_large_disp16_unsigned),
    T(test_error_invalid_args),
    T(test_strerror),
};

#define N_FIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))

int main(void)
{
    static struct CMUnitTest all[N_CASES + N_ERRORS + N_FIXED];
    static char names[N_CASES + N_ERRORS][96];
    size_t n = 0;

    for (size_t k = 0; k < N_CASES; k++, n++) {
        snprintf(names[n], sizeof(names[n]), "decode: %s", cases[k].name);
        all[n] = (struct CMUnitTest){ names[n], test_decode_row, NULL, NULL,
                                      (void *)&cases[k] };
    }
    for (size_t k = 0; k < N_ERRORS; k++, n++) {
        snprintf(names[n], sizeof(names[n]), "error: %s", errors[k].name);
        all[n] = (struct CMUnitTest){ names[n], test_error_row, NULL, NULL,
                                      (void *)&errors[k] };
    }
    for (size_t k = 0; k < N_FIXED; k++, n++)
        all[n] = fixed_tests[k];
    return _cmocka_run_group_tests("insn_decode", all, n, NULL, NULL);
}

"""Definitions shared by the differential-test generator (diffgen.py) and its system blocks
(diffgen_system.py): EFLAGS bits, memory layout, segments, registers, ports.
"""


CF, PF, AF, ZF, SF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x800
ARITH = CF | PF | AF | ZF | SF | OF
# EFLAGS bits a program may set with POPFD: the arithmetic flags, DF, IOPL, AC, ID (IF, TF and NT
# stay 0: no interrupt, no single-step trap, no nested task)
POPF_BITS = ARITH | 0x400 | 0x3000 | 0x40000 | 0x200000
COND = {"o": OF, "no": OF, "b": CF, "ae": CF, "z": ZF, "nz": ZF, "be": CF | ZF, "a": CF | ZF, "s": SF,
        "ns": SF, "p": PF, "np": PF, "l": SF | OF, "ge": SF | OF, "le": ZF | SF | OF, "g": ZF | SF | OF}

LOW, HIGH, SCRATCH = 0x10000, 0x200000, 0x10000
# with A20 off (port 0x92 bit 1, 8042 command DDh) 1 MiB + x is x: LOW's alias above 1 MiB. vmxlab
# emulates the wrap in the first 2 MiB only (docs/reset.md), so no program reaches an address
# with bit 20 set above 2 MiB (HIGH has bit 20 clear: A20 does not matter there)
A20_WRAP = 0x100000
APIC_TPR = 0xFEE00080
# the paging round trip's page directory (32-bit paging, 4 MiB pages, SDM Vol.3A 4.3): identity
# for 0-16 MiB and the 4 MiB around the APIC, linear 0x40000000 -> physical 0, 0x80000000 ->
# 0xFEC00000
PAGE_DIR = 0x1000
RAM_ALIAS = 0x40000000
APIC_ALIAS = 0x80000000 + (APIC_TPR - 0xFEC00000)
SEL = {"data32": (0x10, 0, True), "data16": (0x20, 0, False), "big16": (0x28, 0, True), "low16": (0x30, LOW, False)}
R32 = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"]
R16 = {"eax": "ax", "ebx": "bx", "ecx": "cx", "edx": "dx", "esi": "si", "edi": "di", "ebp": "bp"}
R8 = ["al", "bl", "cl", "dl", "ah", "bh", "ch", "dh"]
DSEGS = ["ds", "es", "fs", "gs"]
# ports no device of Bochs's PC decodes (reads give all ones) and ports vmxlab intercepts but
# carries out for the guest (docs/reset.md): system control port A, PCI configuration, PM1a_CNT
UNUSED_PORTS = [0x110, 0x2A8, 0x2E0, 0x3E4, 0x6F0, 0xA79, 0xED]
CR0_TOGGLE = [1 << 1, 1 << 2, 1 << 3, 1 << 5, 1 << 16, 1 << 18, 1 << 30]   # MP EM TS NE WP AM CD
CR4_TOGGLE = [1 << 2, 1 << 3, 1 << 4, 1 << 6, 1 << 7, 1 << 8, 1 << 9, 1 << 10]  # TSD DE PSE MCE PGE PCE OSFXSR OSXMMEXCPT
KINDS = ["alu", "mem", "string", "segload", "intn", "exception", "pio", "cpuid", "pmode", "crx", "flags", "msr"]
PAT_TYPES = [0, 1, 4, 5, 6, 7]      # UC WC WT WP WB UC- (SDM Vol.3A 12.12.2; 2 and 3 are reserved: #GP)


class Seg:
    def __init__(self, sel, base, big):
        self.sel, self.base, self.big = sel, base, big

    def copy(self):
        return Seg(self.sel, self.base, self.big)


def size_reg(r32, size):
    if size == 32:
        return r32
    if size == 16:
        return R16[r32]
    return {"eax": "al", "ebx": "bl", "ecx": "cl", "edx": "dl"}[r32]


def imm(r, size):
    return r.getrandbits(size)


def ptr(size):
    return {8: "byte", 16: "word", 32: "dword"}[size]



#!/usr/bin/env python3
"""Write the seed corpora in tests/fuzz/corpus/NAME/ (committed; rerun after changing this).

Seeds are valid inputs, so the fuzzer starts from the shapes the parsers really meet: the
instruction bytes of the unit tests, an option line per option, a multiboot2 structure laid
out the way GRUB lays it out, the MADT, FADT and DSDT of a real machine (real/), Bochs's MP
table, the memory maps and guest states of the unit tests. The input format of each target
is described at the top of its fuzz_NAME.c.

    python3 tests/fuzz/make_seeds.py           # rewrite every corpus
    python3 tests/fuzz/make_seeds.py insn      # one
"""
import os
import re
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
REAL = os.path.join(HERE, "real")


def u8(v): return struct.pack("<B", v & 0xFF)
def u16(v): return struct.pack("<H", v & 0xFFFF)
def u32(v): return struct.pack("<I", v & 0xFFFFFFFF)
def u64(v): return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def checksum(b):
    return (-sum(b)) & 0xFF


# ---- insn: mode byte + instruction bytes, from the decoder's unit tests ----
def seeds_insn():
    modes = {"M16": 0, "M32": 1, "M64": 2}
    out = []
    for f in ("test_insn_decode.c", "test_insn_decode64.c"):
        text = open(os.path.join(ROOT, "tests", "unit", f)).read()
        for m in re.finditer(r"\b(M16|M32|M64),\s*BYTES\(([^)]*)\)", text):
            code = bytes(int(x, 16) for x in re.findall(r"0x[0-9a-fA-F]+", m.group(2)))
            out.append(bytes([modes[m.group(1)]]) + code)
    return out


# ---- options: the option words of the unit tests, and whole lines as GRUB passes them ----
def seeds_options():
    text = open(os.path.join(ROOT, "tests", "unit", "test_options.c")).read()
    words = sorted(set(w for w in re.findall(r'"([a-z_.]+=[^"%|]*)"', text)))
    lines = [
        "/boot/vmxlab.elf log=trace guest.load=0x7c00 guest.entry=0000:7c00",
        "(hd0,msdos1)/vmxlab log=info vga=off apic=decode on_triple=restart exits.max=100",
        "log=debug init=reset-vector on_reset=restart ept.holes=stop guest.stop=2500 screen.dump=1 cpus=2",
        "guest.unreal=0 guest.drive=0x80 debug=bad-guest-state help",
        "  log=warn\tvga=on\r\n",
        "",
    ]
    return [w.encode() for w in words] + [l.encode().decode("unicode_escape").encode() for l in lines]


# ---- multiboot2: the boot information laid out as GRUB 2.06 does on a PC BIOS machine ----
def mb2_tag(t, body):
    tag = u32(t) + u32(8 + len(body)) + body
    return tag + b"\0" * (-len(tag) % 8)


def mb2_info(tags):
    body = b"".join(tags) + mb2_tag(0, b"")
    return u32(8 + len(body)) + u32(0) + body


def seeds_multiboot2():
    rsdp = b"RSD PTR " + b"\0" + b"BOCHS " + u8(0) + u32(0x07FE0000)
    rsdp = rsdp[:8] + u8(checksum(rsdp)) + rsdp[9:]
    mmap = u32(24) + u32(0) + b"".join(u64(b) + u64(l) + u32(t) + u32(0) for b, l, t in [
        (0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xF0000, 0x10000, 2), (0x100000, 0x7EE0000, 1),
        (0x7FE0000, 0x20000, 3), (0xFFFC0000, 0x40000, 2)])
    elf = u32(2) + u32(64) + u32(1) + b"\0" * 128
    common = [
        mb2_tag(21, u32(0x100000)),
        mb2_tag(1, b"/boot/vmxlab.elf log=info guest.load=0x7c00\0"),
        mb2_tag(2, b"GRUB 2.06-13+deb12u1\0"),
        mb2_tag(3, u32(0x12E000) + u32(0x12E200) + b"guest boot.bin\0"),
        mb2_tag(4, u32(639) + u32(130048)),
        mb2_tag(5, u32(0xE0) + u32(0xFFFFFFFF) + u32(0xFFFFFFFF)),
        mb2_tag(6, mmap),
        mb2_tag(9, elf),
        mb2_tag(14, rsdp),
    ]
    two_modules = common[:3] + [mb2_tag(3, u32(0x200000) + u32(0x380000) + b"guest memtest.bin\0"),
                                mb2_tag(3, u32(0x380000) + u32(0x381000) + b"disk\0")] + common[4:]
    return [mb2_info(common), mb2_info(two_modules), mb2_info(common[:3]), mb2_info([]),
            mb2_info([mb2_tag(15, rsdp + b"\0" * 16)] + common[1:2])]


# ---- icr: ICR low, ICR high, sender, vCPU count, then per vCPU LDR, DFR, flags ----
def seeds_icr():
    def env(self, n, flags, ldr_flat=True):
        s = u8(self) + u8(n)
        for v in range(8):
            s += u32((1 << v) << 24 if ldr_flat else ((v // 4) << 28 | (1 << (v % 4)) << 24))
            s += u32(0xFFFFFFFF if ldr_flat else 0x0FFFFFFF) + u8(flags[v] if v < len(flags) else 2)
        return s
    out = []
    for low, high in [(0x000C4500, 0), (0x000C4608, 0), (0x00004500, 1 << 24), (0x00004608, 1 << 24),
                      (0x00000030, 1 << 24), (0x00040030, 0), (0x00080030, 0), (0x00000931, 3 << 24),
                      (0x00000400, 2 << 24), (0x00008500, 0xFF << 24), (0x00000300, 0), (0x0000000F, 0),
                      (0x00000200, 0)]:
        out.append(u32(low) + u32(high) + env(0, 4, [2, 1, 3, 0]))
    out.append(u32(0x00000940) + u32(0x12 << 24) + env(1, 8, [2] * 8, ldr_flat=False))
    return out


# ---- io: qualification, value, PM1a_CNT, PM1b_CNT, SLP_TYPa, SLP_TYPb, RESET_REG, RESET_VALUE ----
def seeds_io():
    watch = u16(0xB004) + u16(0) + u8(0) + u8(0) + u16(0xCF9) + u8(6)   # Bochs: PM base 0xb000
    qemu = u16(0x604) + u16(0) + u8(0) + u8(0) + u16(0xCF9) + u8(0xF)   # QEMU PIIX4
    out = []
    for port, size, value, w in [(0x64, 1, 0xFE, watch), (0xCF9, 1, 0x06, watch), (0xCF9, 1, 0x0F, qemu),
                                 (0x92, 1, 0x01, watch), (0xB004, 2, 0x2000, watch), (0xB005, 1, 0x20, watch),
                                 (0x604, 2, 0x2000, qemu), (0x604, 2, 0x3400, qemu), (0x3F8, 1, 0x41, watch),
                                 (0x80, 4, 0x12345678, watch)]:
        qual = (port << 16) | {1: 0, 2: 1, 4: 3}[size] | (1 << 6 if port < 0x100 else 0)
        out.append(u64(qual) + u32(value) + w)
    out.append(u64((0x1F0 << 16) | 1 | 8 | 16 | 32) + u32(0) + watch)           # REP INSW port 0x1f0
    out.append(u64((0x3F8 << 16) | 16 | 32) + u32(0) + watch)                   # REP OUTSB port 0x3f8
    return out


# ---- e820: Bochs's 128 MiB map (tests/unit/test_e820.c) with vmxlab's ranges hidden ----
BOCHS128 = [(0, 0x9F000, 1), (0x9F000, 0x1000, 2), (0xE8000, 0x18000, 2), (0x100000, 0x7EF0000, 1),
            (0x7FF0000, 0x10000, 3), (0xFFFC0000, 0x40000, 2)]
QEMU = [(0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xF0000, 0x10000, 2), (0x100000, 0x7EE0000, 1),
        (0x7FE0000, 0x20000, 2), (0xFEFFC000, 0x4000, 2), (0xFFFC0000, 0x40000, 2), (0x100000000, 0x40000000, 1)]
HV = [(0x100000, 0x400000), (0x7F00000, 0x7F80123)]


def seeds_e820():
    out = []
    for fw in (BOCHS128, QEMU, BOCHS128[:4], []):
        for hv in (HV, HV[:1], []):
            raw = u8(len(fw)) + u8(len(hv)) + b"".join(u64(b) + u64(l) + u8(t) for b, l, t in fw)
            out.append(raw + b"".join(u64(s) + u64(e) for s, e in hv))
            if all(b % 4096 == 0 and l % 4096 == 0 and b + l <= 0xFFFF000 for b, l, t in fw):
                pg = u8(0x80 | len(fw)) + u8(len(hv)) + b"".join(u16(b >> 12) + u16(l >> 12) + u8(t) for b, l, t in fw)
                out.append(pg + b"".join(u16(s >> 12) + u8(s) + u16(e >> 12) + u8(e) for s, e in hv))
    return out


GENERATORS = {
    "e820": seeds_e820,
    "multiboot2": seeds_multiboot2,
    "icr": seeds_icr,
    "io": seeds_io,
    "insn": seeds_insn,
    "options": seeds_options,
}


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    seen = set()
    for i, s in enumerate(seeds):
        if s in seen:
            continue
        seen.add(s)
        with open(os.path.join(d, "seed%03d" % i), "wb") as f:
            f.write(s)
    print("corpus/%s: %d seeds" % (name, len(seen)))


def main(argv):
    names = argv or sorted(GENERATORS)
    for n in names:
        if n not in GENERATORS:
            sys.exit("make_seeds: no target %r (known: %s)" % (n, ", ".join(sorted(GENERATORS))))
        write(n, GENERATORS[n]())


if __name__ == "__main__":
    main(sys.argv[1:])

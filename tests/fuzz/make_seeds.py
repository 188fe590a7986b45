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


# ---- acpi: real tables (real/: the MADT, FADT and DSDT of a Firecracker VM, read from
# /sys/firmware/acpi/tables) and Bochs-shaped ones, alone and as a memory image at 0xE0000 ----
IMG_BASE = 0xE0000


def real(name):
    return open(os.path.join(REAL, name + ".dat"), "rb").read()


def sdt(sig, body, rev=1):
    t = sig + u32(36 + len(body)) + u8(rev) + u8(0) + b"BOCHS " + b"BXPCFACP" + u32(1) + b"BXPC" + u32(1) + body
    return t[:9] + u8(checksum(t)) + t[10:]


def fixsum(t):
    t = t[:9] + b"\0" + t[10:]
    return t[:9] + u8(checksum(t)) + t[10:]


S5_AML = b"\x10\x0c\x5c\x00" + b"\x08\x5c\x5f\x53\x35\x5f\x12\x06\x04\x00\x00\x00\x00"  # Name(\_S5, Package{0,0,0,0})
S5_AML_QEMU = b"\x08\x5f\x53\x35\x5f\x12\x08\x04\x0a\x05\x0a\x05\x00\x00"


def bochs_madt():
    body = u32(0xFEE00000) + u32(1)
    body += b"\x00\x08\x00\x00" + u32(1) + b"\x00\x08\x01\x01" + u32(1)              # two local APICs
    body += b"\x01\x0c\x02\x00" + u32(0xFEC00000) + u32(0)                            # I/O APIC 2
    body += b"\x02\x0a\x00\x00" + u32(2) + u16(0)                                    # ISO IRQ0 -> GSI2
    body += b"\x09\x10\x00\x00" + u32(0x100) + u32(1) + u32(7)                        # an x2APIC entry
    body += b"\x05\x0c\x00\x00" + u64(0xFEE00000)                                    # LAPIC override
    return sdt(b"APIC", body)


def bochs_fadt(dsdt, rev=1):
    body = bytearray(116 - 36 if rev == 1 else 244 - 36)
    body[40 - 36:44 - 36] = u32(dsdt)
    body[64 - 36:68 - 36] = u32(0xB004)                                              # PM1a_CNT_BLK
    if rev > 1:
        body[112 - 36:116 - 36] = u32(1 << 10)                                       # RESET_REG_SUP
        body[116 - 36:128 - 36] = b"\x01\x08\x00\x01" + u64(0xCF9)
        body[128 - 36] = 6
        body[140 - 36:148 - 36] = u64(dsdt)
    return sdt(b"FACP", bytes(body), rev)


def acpi_image(rev, fadt_of, madt, dsdt):
    mem = bytearray(0x100)
    def place(t):
        off = (len(mem) + 0x3F) & ~0x3F
        mem.extend(b"\0" * (off - len(mem)))
        mem.extend(t)
        return IMG_BASE + off
    dsdt_pa = place(dsdt)
    fadt_pa = place(fadt_of(dsdt_pa))
    madt_pa = place(madt)
    rsdt_pa = place(sdt(b"RSDT", u32(fadt_pa) + u32(madt_pa)))
    xsdt_pa = place(sdt(b"XSDT", u64(fadt_pa) + u64(madt_pa))) if rev >= 2 else 0
    r = b"RSD PTR " + b"\0" + b"BOCHS " + u8(rev) + u32(rsdt_pa)
    if rev >= 2:
        r += u32(36) + u64(xsdt_pa) + b"\0\0\0\0"
        r = r[:32] + u8(checksum(r)) + r[33:]
    r = r[:8] + u8(checksum(r[:20])) + r[9:]
    if rev >= 2:
        r = r[:32] + b"\0" + r[33:]
        r = r[:32] + u8(checksum(r)) + r[33:]
    mem[0:len(r)] = r
    return bytes(mem)


def seeds_acpi():
    apic, facp, dsdt = real("APIC"), real("FACP"), real("DSDT")
    dsdt_s5 = fixsum(dsdt[:4] + u32(len(dsdt) + len(S5_AML_QEMU)) + dsdt[8:] + S5_AML_QEMU)

    def real_fadt(dsdt_pa):
        f = bytearray(facp)
        f[40:44] = u32(dsdt_pa)
        f[140:148] = u64(dsdt_pa)
        f[64:68] = u32(0x604)   # the VM's FADT is hardware-reduced (no PM1a): give it PIIX4's
        return fixsum(bytes(f))
    bochs_dsdt = sdt(b"DSDT", S5_AML, 1)
    many = sdt(b"APIC", u32(0xFEE00000) + u32(1) + b"".join(b"\x00\x08" + u8(i) + u8(i) + u32(1) for i in range(20)) +
               b"\x09\x10\x00\x00" + u32(0x120) + u32(1) + u32(20))   # more CPUs than vmxlab keeps
    out = [b"\x00" + apic, b"\x00" + bochs_madt(), b"\x00" + many, b"\x01" + dsdt, b"\x01" + S5_AML, b"\x01" + S5_AML_QEMU,
           b"\x01" + dsdt_s5[36:]]
    imgs = [acpi_image(2, real_fadt, apic, dsdt_s5), acpi_image(0, bochs_fadt, bochs_madt(), bochs_dsdt),
            acpi_image(2, lambda pa: bochs_fadt(pa, 3), bochs_madt(), bochs_dsdt)]
    for img in imgs:
        out += [b"\x02" + img, b"\x82" + img]
    return out


# ---- mptable: Bochs's MP table (tests/unit/test_mptable.c) in memory at 0xE0000 ----
def seeds_mptable():
    entries = bytes([0, 0, 0x14, 3, 0x54, 0x06, 0x05, 0, 0xFF, 0xFB, 0xEB, 0xBF] + [0] * 8 +
                    [0, 1, 0x14, 1, 0x54, 0x06, 0x05, 0, 0xFF, 0xFB, 0xEB, 0xBF] + [0] * 8 +
                    [1, 0] + list(b"ISA   ") + [2, 2, 0x11, 1, 0x00, 0x00, 0xC0, 0xFE] +
                    [3, 0, 0, 0, 0, 1, 2, 1] + [4, 3, 0, 0, 0, 0, 0xFF, 0])
    ct = b"PCMP" + u16(44 + len(entries)) + u8(4) + u8(0) + b"BOCHSCPU" + b"0.1         " + u32(0) + u16(0) + \
        u16(6) + u32(0xFEE00000) + u32(0) + entries
    ct = ct[:7] + u8(checksum(ct)) + ct[8:]

    def fp(table, feature1=0):
        f = b"_MP_" + u32(table) + u8(1) + u8(4) + u8(0) + u8(feature1) + b"\0" * 4
        return f[:10] + u8(checksum(f)) + f[11:]
    img = fp(IMG_BASE + 16) + ct
    return [b"\x00" + img, b"\x80" + img, b"\x00" + fp(0, 5), b"\x00" + b"\0" * 32 + fp(IMG_BASE + 48) + ct]


# ---- guest_check: each base state, and a few single edits (field number, value) ----
def seeds_guest_check():
    out = [bytes([b]) for b in range(5)]
    out += [bytes([0]) + u8(6) + u64(0x202), bytes([2]) + u8(0x80 | 0) + u64(1 << 31),   # RFLAGS.IF; CR0 ^ PG
            bytes([4]) + u8(5) + u64(0x7c00), bytes([1]) + u8(25 + 4 + 3) + u64(0xfb)]     # RIP; CS access rights
    return out


GENERATORS = {
    "guest_check": seeds_guest_check,
    "acpi": seeds_acpi,
    "mptable": seeds_mptable,
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

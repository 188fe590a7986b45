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


GENERATORS = {
    "insn": seeds_insn,
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

"""Host tests of the differential-test generator and comparison (tools/vmxlab_py/diffgen.py,
difftest.py; docs/testing.md "Differential testing"): no emulator."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from vmxlab_py import diffgen, difftest  # noqa: E402

LINE = ("eax=00000001 ebx=00000002 ecx=00000003 edx=00000004 esi=00000005 edi=00000006 ebp=00000007 "
        "esp=00007000 cs=0000 ds=1000 es=1000 fs=1000 gs=1000 ss=0000 fl=00000002 cr0=00000010 "
        "cr4=00000000 crc=12345678 hcrc=9abcdef0")


class Generator(unittest.TestCase):
    def test_deterministic(self):
        self.assertEqual(diffgen.program(7), diffgen.program(7))
        self.assertNotEqual(diffgen.program(7)[1], diffgen.program(8)[1])

    def test_drop_removes_blocks(self):
        kinds, text = diffgen.program(9)
        _, fewer = diffgen.program(9, drop=set(range(len(kinds))))
        self.assertIn("; block 0:", text)
        self.assertNotIn("; block", fewer)
        self.assertIn("call rt_dump", fewer)

    def test_every_kind_appears(self):
        seen = set()
        for s in range(1, 60):
            seen |= set(diffgen.program(s)[0])
        self.assertEqual(seen, set(diffgen.KINDS))

    @unittest.skipUnless(shutil.which("nasm"), "nasm not installed")
    def test_programs_assemble_and_fit(self):
        work = tempfile.mkdtemp()
        try:
            named = [(s, diffgen.program(s)[1]) for s in range(1, 121)]
            for n, batch in enumerate(difftest.batches(named, lambda it: it[1])):
                difftest.assemble([t for _, t in batch], os.path.join(work, "b%d.bin" % n))
        finally:
            shutil.rmtree(work)


class Compare(unittest.TestCase):
    def test_equal_dumps_pass(self):
        self.assertEqual(difftest.compare([1], {1: LINE}, {1: LINE}), [])

    def test_one_bit_is_caught(self):
        flipped = LINE.replace("ebx=00000002", "ebx=00000003")
        (seed, text), = difftest.compare([1], {1: LINE}, {1: flipped})
        self.assertEqual(seed, 1)
        self.assertIn("-ebx=00000002", text)
        self.assertIn("+ebx=00000003", text)

    def test_missing_dump_is_a_divergence(self):
        self.assertEqual(len(difftest.compare([1, 2], {1: LINE, 2: LINE}, {1: LINE})), 1)

    def test_dumps_parse(self):
        got, done = difftest.dumps("junk\nDIFF 0000000a %s\r\nDIFF done 1\n" % LINE)
        self.assertEqual(got, {10: LINE})
        self.assertEqual(done, 1)
        self.assertEqual(difftest.dumps("DIFF 00000001 %s\n" % LINE)[1], None)


if __name__ == "__main__":
    unittest.main()

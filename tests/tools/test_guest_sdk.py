"""The guest SDK of the CLI: `--guest FILE.asm` is assembled with guest-images/include, and a
--guest that is neither a flat binary nor source is refused with one line and exit 2, before
anything is built or booted."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from vmxlab_py import guestsrc  # noqa: E402

VMXLAB = os.path.join(ROOT, "tools", "vmxlab")


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def run_cli(*args):
    return subprocess.run([sys.executable, VMXLAB] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


class Refusals(unittest.TestCase):
    def refused(self, guest, message, cmd="run"):
        r = run_cli(cmd, "--guest", guest)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertRegex(lines[0], message)
        self.assertNotIn("Traceback", r.stderr)

    def test_missing_file(self):
        self.refused("/nonexistent", r"^vmxlab: no guest file /nonexistent$")

    def test_missing_source(self):
        self.refused("mine-that-is-not-here.asm", r"^vmxlab: no guest file mine-that-is-not-here\.asm$")

    def test_text_not_source(self):
        self.refused(os.path.join(ROOT, "README.md"), r"is text, not a flat binary; nasm source must end in \.asm")

    def test_elf(self):
        with tempfile.NamedTemporaryFile(suffix=".elf") as f:
            f.write(b"\x7fELF\x02\x01\x01" + bytes(100))
            f.flush()
            self.refused(f.name, r"is an ELF file, not a flat real-mode binary or nasm source$")

    def test_empty(self):
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            self.refused(f.name, r"is empty$", cmd="iso")

    def test_source_that_does_not_assemble(self):
        with tempfile.NamedTemporaryFile("w", suffix=".asm") as f:
            f.write('%include "guest.inc"\nmain:\n    mov ax, [nothere]\n')
            f.flush()
            self.refused(f.name, r"does not assemble: .*symbol `nothere' not defined")


class Assemble(unittest.TestCase):
    def test_first_follows_guest_load(self):
        """guest.inc's org is GUEST_LOAD: the same source at 0x7C00 and 0x1000 differs only in
        its absolute addresses, and guest.load= on the command line picks it."""
        src = os.path.join(ROOT, "guest-images", "examples", "first.asm")
        with tempfile.TemporaryDirectory() as d:
            a = read(guestsrc.resolve(src, "", workdir=d), "rb")
            os.rename(os.path.join(d, "first.bin"), os.path.join(d, "at7c00.bin"))
            b = read(guestsrc.resolve(src, "log=info guest.load=0x1000", workdir=d), "rb")
        self.assertEqual(len(a), len(b))
        self.assertNotEqual(a, b)
        # guest_start's `mov sp, GUEST_LOAD` (BC imm16)
        self.assertIn(b"\xbc\x00\x7c", a)
        self.assertIn(b"\xbc\x00\x10", b)

    def test_load_out_of_range(self):
        src = os.path.join(ROOT, "guest-images", "examples", "first.asm")
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(guestsrc.BadGuest, "GUEST_LOAD must be 0x500..0xFFFF"):
                guestsrc.resolve(src, "guest.load=0x20000", workdir=d)

    def test_flat_binary_as_is(self):
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            f.write(b"\xfa\xf4" + bytes(10))
            f.flush()
            self.assertEqual(guestsrc.resolve(f.name), f.name)


class ReadmeGuest(unittest.TestCase):
    def test_readme_shows_first_asm(self):
        """guest-images/README.md's ten-line guest is examples/first.asm, which boot.sdk.first runs"""
        readme = read(os.path.join(ROOT, "guest-images", "README.md"))
        m = re.search(r"```nasm\n(.*?)```", readme, re.S)
        self.assertIsNotNone(m)
        first = read(os.path.join(ROOT, "guest-images", "examples", "first.asm"))
        self.assertEqual(m.group(1), first)
        self.assertLessEqual(len([l for l in first.splitlines() if l.strip()]), 12)


if __name__ == "__main__":
    unittest.main()

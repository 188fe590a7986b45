"""Unit tests for tools/vmxlab_py/logparse.py against docs/log-format.md."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from vmxlab_py import logparse as lp  # noqa: E402

BOOT_OK = (
    "vmxlab: start version=0.1.0\r\n"
    "[   251234567] I boot: multiboot2 magic ok\r\n"
    "[   251240000] I guest: name=memtest size=1474560 load=0x7c00 entry=0000:7c00\r\n"
    "[   251250000] I vcpu0: INIT reset #1 -> f000:fff0\r\n"
    "[   251260000] I vcpu0: INIT reset #2 -> 0000:7c00\r\n"
    "Memtest86+ v6.10\r\n"
    "[   351260000] W ept: slow path\r\n"
    "[   451260000] E exit: unhandled reason 48\r\n"
    '[   451270000] I stats: exit reason=10 name="CPUID" count=12\r\n'
    '[   451270001] I stats: exit reason=30 name="I/O instruction" count=345\r\n'
    '[   451270002] I stats: exit reason=3 name="INIT signal" count=2\r\n'
    "vmxlab: halted status=0\r\n"
)


class LineTests(unittest.TestCase):
    def one(self, line):
        recs = lp.parse_line(line)
        self.assertEqual(len(recs), 1, recs)
        return recs[0]

    def test_banner(self):
        r = self.one("vmxlab: start version=0.3-dirty")
        self.assertEqual((r.kind, r.version), ("banner", "0.3-dirty"))

    def test_status(self):
        r = self.one("vmxlab: halted status=3")
        self.assertEqual((r.kind, r.status), ("status", 3))

    def test_log_line(self):
        r = self.one("[   251234567] I guest: name=syslinux size=512 "
                     "load=0x7c00 entry=0000:7c00")
        self.assertEqual(r.kind, "log")
        self.assertEqual((r.tsc, r.level, r.module), (251234567, "I", "guest"))
        self.assertEqual(r.fields, {"name": "syslinux", "size": "512",
                                    "load": "0x7c00", "entry": "0000:7c00"})

    def test_every_level(self):
        for lvl in "EWIDT":
            self.assertEqual(self.one("[           1] %s mem: x" % lvl).level, lvl)

    def test_unknown_level_is_guest(self):
        self.assertEqual(self.one("[           1] X mem: x").kind, "guest")

    def test_tsc_wider_than_12_columns(self):
        self.assertEqual(self.one("[12345678901234] D vmx: x").tsc, 12345678901234)

    def test_quoted_value(self):
        r = self.one('[           9] I stats: exit reason=0 '
                     'name="Exception or \\"NMI\\"" count=4')
        self.assertEqual(r.fields["name"], 'Exception or "NMI"')
        self.assertEqual(r.fields["count"], "4")

    def test_guest_output(self):
        for text in ("Memtest86+ v6.10", "", "vmxlab: something else",
                     "[abc] I boot: no", "key=value but no brackets"):
            self.assertEqual(self.one(text).kind, "guest", text)

    def test_partial_guest_then_kernel_line(self):
        recs = lp.parse_line("Loading...\x1b[0m[   100] E vmx: VMXON failed")
        self.assertEqual([r.kind for r in recs], ["guest", "log"])
        self.assertEqual(recs[0].text, "Loading...\x1b[0m")
        self.assertTrue(recs[0].partial)
        self.assertEqual(recs[1].module, "vmx")

    def test_banner_after_grub_escape(self):
        recs = lp.parse_line("\\x1b[2J\\x0dvmxlab: start version=1")
        self.assertEqual([r.kind for r in recs], ["guest", "banner"])

    def test_host_prefix(self):
        r = self.one("2025-11-25T17:47:01.234Z | vmxlab: halted status=0")
        self.assertEqual((r.kind, r.host_time), ("status", "2025-11-25T17:47:01.234Z"))
        r = self.one("2025-11-25T17:47:01.234Z # capture: source lost")
        self.assertEqual((r.kind, r.text), ("note", "capture: source lost"))
        r = self.one("2025-11-25T17:47:01.234Z ~ boot: ")
        self.assertEqual((r.kind, r.partial, r.text), ("guest", True, "boot: "))

    def test_decode_serial_binary(self):
        s = lp.decode_serial(b"ok\xff\xfe\x1b[1m\x07\tend\xc3\xa9")
        self.assertEqual(s, "ok\\xff\\xfe\\x1b[1m\\x07\tend\u00e9")
        self.assertNotIn("\n", lp.decode_serial(b"a\rb\x0b\x0c"))

    def test_split_lines(self):
        lines, tail = lp.split_lines(b"a\r\nb\n\x00c\r\nparti")
        self.assertEqual(lines, [b"a", b"b", b"c"])
        self.assertEqual(tail, b"parti")


class StreamTests(unittest.TestCase):
    def test_one_complete_boot(self):
        sp = lp.parse_text(BOOT_OK, machine="pc1")
        self.assertEqual(len(sp.boots), 1)
        b = sp.boots[0]
        self.assertTrue(b.banner)
        self.assertEqual(b.version, "0.1.0")
        self.assertEqual(b.outcome, "status=0")
        self.assertEqual(b.guest["name"], "memtest")
        self.assertEqual(b.guest["size"], "1474560")
        self.assertEqual(b.init_resets, [(1, "f000:fff0"), (2, "0000:7c00")])
        self.assertEqual(b.exits[30], {"name": "I/O instruction", "count": 345})
        self.assertEqual(b.exit_total, 359)
        self.assertEqual(b.errors, ["exit: unhandled reason 48"])
        self.assertEqual(b.warnings, 1)
        self.assertEqual(b.guest_lines, 1)

    def test_noise_before_banner_is_outside(self):
        text = "SeaBIOS (version 1.16)\r\niPXE 1.0\r\n\x1b[2J" + BOOT_OK
        sp = lp.parse_text(text)
        self.assertEqual(len(sp.boots), 1)
        self.assertEqual(sp.outside, 3)   # two lines + the escape fragment
        self.assertEqual(sp.boots[0].status, 0)

    def test_boot_without_final_line(self):
        text = BOOT_OK.split("[   451270000]")[0]
        b = lp.parse_text(text).boots[0]
        self.assertEqual(b.outcome, "incomplete")
        self.assertFalse(b.complete)
        self.assertEqual(b.exits, {})
        self.assertEqual(len(b.errors), 1)

    def test_two_boots_in_one_stream(self):
        second = BOOT_OK.replace("status=0", "status=2").replace("memtest", "ipxe")
        sp = lp.parse_text(BOOT_OK + "GRUB loading.\r\n" + second)
        self.assertEqual([b.outcome for b in sp.boots], ["status=0", "status=2"])
        self.assertEqual([b.guest["name"] for b in sp.boots], ["memtest", "ipxe"])
        self.assertEqual([b.index for b in sp.boots], [1, 2])

    def test_banner_while_boot_open_closes_it_incomplete(self):
        text = BOOT_OK.split("Memtest")[0] + BOOT_OK
        sp = lp.parse_text(text)
        self.assertEqual([b.outcome for b in sp.boots], ["incomplete", "status=0"])

    def test_joined_mid_boot(self):
        text = "[   351260000] W ept: x\nvmxlab: halted status=1\n"
        b = lp.parse_text(text).boots[0]
        self.assertFalse(b.banner)
        self.assertEqual(b.outcome, "status=1")

    def test_garbage_and_binary(self):
        junk = bytes(range(256)) * 3 + b"\n\xff\xff[   1] Z x\n"
        data = junk + BOOT_OK.encode() + junk
        sp = lp.parse_text(data)
        self.assertEqual(len(sp.boots), 1)
        self.assertEqual(sp.boots[0].status, 0)

    def test_lf_only_and_partial_last_line(self):
        text = BOOT_OK.replace("\r\n", "\n").replace(
            "vmxlab: halted status=0\n", "vmxlab: halted sta")
        b = lp.parse_text(text).boots[0]
        self.assertEqual(b.outcome, "incomplete")
        self.assertEqual(len(b.exits), 3)

    def test_guest_output_mixed_in(self):
        mixed = BOOT_OK.replace(
            "Memtest86+ v6.10\r\n",
            "Memtest86+ v6.10\r\nCPU: Intel\r\n[ \x1b[7m ] PASS\r\nkey=val\r\n")
        b = lp.parse_text(mixed).boots[0]
        self.assertEqual(b.guest_lines, 4)
        self.assertEqual(b.outcome, "status=0")

    def test_vmx_not_supported(self):
        text = ("vmxlab: start version=0.1\n"
                "[     1000000] E vmx: VMX not supported (CPUID.1:ECX.VMX[bit 5] = 0)\n"
                "vmxlab: halted status=1\n")
        b = lp.parse_text(text).boots[0]
        self.assertEqual(b.outcome, "status=1")
        self.assertIn("VMX not supported", b.errors[0])


class FileTests(unittest.TestCase):
    def test_capture_files_and_summary(self):
        with tempfile.TemporaryDirectory() as d:
            def write(name, body):
                with open(os.path.join(d, name), "w") as f:
                    f.write(body)
            t = "2025-11-25T17:47:0%d.000Z"
            lines = [l for l in BOOT_OK.split("\r\n") if l]
            body = "# vmxlab capture: machine=pc-a source=tcp:127.0.0.1:1 boot=1\n"
            body += "".join("%s | %s\n" % (t % 1, l) for l in lines[:4])
            body += "%s # capture: source lost (connection reset)\n" % (t % 2)
            body += "".join("%s | %s\n" % (t % 3, l) for l in lines[4:])
            write("pc-a-1.log", body)
            write("pc-a-2.log", "# vmxlab capture: machine=pc-a boot=2\n"
                  "%s | vmxlab: start version=0.1.0\n" % (t % 4))
            write("pc-a.console.log", "ignored\n")
            write("raw.log", BOOT_OK + BOOT_OK)
            boots = lp.summarize([d])
            self.assertEqual([(b.machine, b.index, b.outcome) for b in boots],
                             [("pc-a", 1, "status=0"), ("pc-a", 2, "incomplete"),
                              ("raw", 1, "status=0"), ("raw", 2, "status=0")])
            self.assertEqual(boots[0].notes, ["capture: source lost (connection reset)"])
            self.assertEqual(boots[0].first_time, t % 1)
            table = lp.format_table(boots)
            self.assertIn("I/O_instruction=345", table)
            self.assertIn("4 boots: 3 status=0, 0 failed, 1 incomplete", table)
            data = json.loads(lp.to_json(boots))
            self.assertEqual(data[0]["guest"], "memtest")
            self.assertEqual(data[0]["init_resets"], 2)
            self.assertEqual(data[0]["exits"]["10"]["count"], 12)
            self.assertEqual(data[1]["status"], None)


if __name__ == "__main__":
    unittest.main()

"""Bad input to the CLI (issue 13): one clear line and exit 2 (README), never a traceback, a
stale log or a silent success. The run/iso checks happen before anything is built, so these
tests run the real `tools/vmxlab` quickly."""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from vmxlab_py import capture as cap  # noqa: E402
from vmxlab_py import cli, emu, iso, lab, paths  # noqa: E402

VMXLAB = os.path.join(ROOT, "tools", "vmxlab")
HAVE_BOCHS = subprocess.run(["sh", "-c", "command -v bochs"], stdout=subprocess.DEVNULL).returncode == 0


def vmxlab(*args):
    r = subprocess.run([sys.executable, VMXLAB] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


class CmdlineQuoting(unittest.TestCase):
    """iso --cmdline went into grub.cfg unquoted: a ; or } made GRUB run the rest itself."""
    INJECT = "log=info; set timeout=99 } menuentry x {"

    def test_grub_characters_refused(self):
        for bad, ch in ((self.INJECT, ";"), ("log=info }", "}"), ("a=$x", "$"), ("log='x'", "'"),
                        ('log="x"', '"'), ("log=info\nboot", "\n"), ("log=a\\b", "\\"), ("# x", "#"),
                        ("a=b|c", "|"), ("a=b&c", "&"), ("a=(b)", "(")):
            err = iso.check_cmdline(bad)
            self.assertIsNotNone(err, bad)
            self.assertIn("%r would be read by GRUB" % ch, err)
            with self.assertRaises(ValueError):
                iso.grub_cfg([("t", bad, "/boot/guest.bin", "g")])

    def test_options_accepted(self):
        for good in ("", "log=debug apic=decode", "guest.entry=0001:7BF0 guest.load=0x10010",
                     "debug=bad-guest-state cpus=2 guest.drive=0x80", "/boot/vmxlab.elf log=info"):
            self.assertIsNone(iso.check_cmdline(good), good)
        cfg = iso.grub_cfg([("t", "log=debug apic=decode", "/boot/guest.bin", "g")], interactive=False)
        self.assertIn("    multiboot2 /boot/vmxlab.elf log=debug apic=decode\n", cfg)

    def test_cli_iso_refuses(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "x.iso")
            code, _, err = vmxlab("iso", "--cmdline", self.INJECT, "-o", out)
            self.assertEqual(code, 2)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn("vmxlab iso: --cmdline", err)
            self.assertIn("';' would be read by GRUB", err)
            self.assertFalse(os.path.exists(out))

    def test_cli_run_refuses(self):
        code, _, err = vmxlab("run", "--cmdline", self.INJECT)
        self.assertEqual(code, 2)
        self.assertIn("vmxlab run: --cmdline", err)


class MachineChecks(unittest.TestCase):
    """run --cpu badmodel / --cpus 0 / --cpus -3: exit 124 and a stale bochs.log before."""

    def test_cpus_range(self):
        self.assertIsNone(emu.check_machine("bochs", "corei7_skylake_x", 1))
        self.assertIsNone(emu.check_machine("bochs", "corei7_skylake_x", emu.BOCHS_MAX_CPUS))
        for n in (0, -3, emu.BOCHS_MAX_CPUS + 1):
            self.assertEqual(emu.check_machine("bochs", "corei7_skylake_x", n),
                             "--cpus %d: Bochs 2.7 takes 1 to 15 CPUs" % n)
        self.assertEqual(emu.check_machine("qemu", "x", 0), "--cpus 0: QEMU takes 1 to 255 CPUs")
        self.assertIsNone(emu.check_machine("qemu", "badmodel", 4))  # QEMU ignores --cpu

    def test_model_against_bochs_list(self):
        models = ["pentium", "corei7_skylake_x", "corei3_cnl"]
        self.assertIsNone(emu.check_machine("bochs", "pentium", 1, models))  # no VMX: vmxlab says status 3
        err = emu.check_machine("bochs", "badmodel", 1, models)
        self.assertEqual(err, "--cpu badmodel: not a Bochs CPU model (with VMX: corei7_skylake_x, corei3_cnl; "
                              "every model: bochs -help cpu)")

    def test_bochs_list_parsed(self):
        out = ("=====\n  Bochs x86 Emulator 2.7\n=====\n00000000000i[      ] LTDL\nSupported CPU models:\n\n"
               "bx_generic\npentium\ncorei7_skylake_x\n\n00000000000i[SIM   ] quit_sim called\n")
        fake = mock.Mock(return_value=subprocess.CompletedProcess([], 0, stdout=out))
        self.assertEqual(emu.bochs_models(fake), ["bx_generic", "pentium", "corei7_skylake_x"])
        fake = mock.Mock(return_value=subprocess.CompletedProcess([], 1, stdout="bochs: not what we expect\n"))
        self.assertIsNone(emu.bochs_models(fake))

    @unittest.skipUnless(HAVE_BOCHS, "needs bochs")
    def test_real_bochs_list(self):
        models = emu.bochs_models()
        for m in emu.BOCHS_CPUS:
            self.assertIn(m, models)

    def test_cli_cpus(self):
        for n in ("0", "-3", "99"):
            code, out, err = vmxlab("run", "--cpus", n)
            self.assertEqual(code, 2, out + err)
            self.assertEqual(err.strip(), "vmxlab run: --cpus %s: Bochs 2.7 takes 1 to 15 CPUs" % n)

    @unittest.skipUnless(HAVE_BOCHS, "needs bochs")
    def test_cli_badmodel(self):
        code, out, err = vmxlab("run", "--emulator", "bochs", "--cpu", "badmodel")
        self.assertEqual(code, 2, out + err)
        self.assertRegex(err.strip(), r"^vmxlab run: --cpu badmodel: not a Bochs CPU model \(with VMX: "
                                      r"corei7_skylake_x, corei3_cnl, .*\)$")

    @unittest.skipUnless(HAVE_BOCHS, "needs bochs")
    def test_bochs_own_error_shown_not_a_stale_log(self):
        """When Bochs itself refuses to start, its own lines come back, and the bochs.log of
        an earlier run in the same directory is not left to be read as this run's."""
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bochs.log"), "w") as f:
                f.write("an earlier run's log\n")
            result = {}
            status, text, emu_log = emu.run(None, "bochs", cpu="badmodel", timeout=60, workdir=d, result=result)
            self.assertIsNone(status)
            self.assertEqual(result["ended"], "exit")
            self.assertNotEqual(result["returncode"], 0)
            self.assertIn("Bochs is exiting: [      ] %s:4: cpu directive malformed." % os.path.join(d, "bochsrc"),
                          result["errors"])
            self.assertTrue(any("wrong value for parameter 'model'" in l for l in result["errors"]))
            if os.path.exists(emu_log):
                with open(emu_log) as f:
                    self.assertNotIn("an earlier run's log", f.read())


class KvmPreflight(unittest.TestCase):
    """run --emulator qemu-kvm: what is missing, in one line (exit 3: README)."""
    INTEL = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme vmx sse2\n"

    def setUp(self):
        self.d = tempfile.TemporaryDirectory()
        self.cpuinfo = self.file("cpuinfo", self.INTEL)
        self.dev = self.file("kvm", "")
        self.nested = self.file("nested", "Y\n")

    def tearDown(self):
        self.d.cleanup()

    def file(self, name, text):
        path = os.path.join(self.d.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, **kw):
        args = dict(dev=self.dev, nested=self.nested, cpuinfo=self.cpuinfo)
        args.update(kw)
        return emu.kvm_preflight(**args)

    def test_all_there(self):
        self.assertIsNone(self.check())
        self.assertIsNone(self.check(nested=self.file("n1", "1\n")))

    def test_amd_host(self):
        amd = self.file("amd", "vendor_id\t: AuthenticAMD\nflags\t\t: fpu svm sse2\n")
        self.assertRegex(self.check(cpuinfo=amd), r"^the host CPU is AuthenticAMD, not Intel: .*--emulator bochs")

    def test_no_vmx_flag(self):
        novmx = self.file("novmx", "vendor_id\t: GenuineIntel\nflags\t\t: fpu vme sse2 vmxe\n")
        self.assertRegex(self.check(cpuinfo=novmx), r"^the host CPU shows no vmx flag .*VT-x in the firmware")

    def test_no_device(self):
        self.assertEqual(self.check(dev=os.path.join(self.d.name, "none")),
                         "no %s: load KVM for Intel: modprobe kvm_intel nested=1" % os.path.join(self.d.name, "none"))

    def test_device_not_accessible(self):
        with mock.patch("os.access", return_value=False):
            self.assertRegex(self.check(), r"^no read/write access to .*kvm: add this user to group kvm")

    def test_nested_off(self):
        err = self.check(nested=self.file("n0", "N\n"))
        self.assertRegex(err, r"^kvm_intel's nested parameter is N \(.*\): turn it on: modprobe -r kvm_intel && "
                              r"modprobe kvm_intel nested=1")

    def test_kvm_intel_not_loaded(self):
        self.assertRegex(self.check(nested=os.path.join(self.d.name, "gone")), r"kvm_intel is not loaded")

    def test_cli_exit_3_on_this_host(self):
        missing = emu.kvm_preflight()
        if missing is None:
            self.skipTest("this host has nested VMX")
        code, out, err = vmxlab("run", "--emulator", "qemu-kvm")
        self.assertEqual(code, 3, out + err)
        self.assertEqual(err.strip(), "vmxlab run: --emulator qemu-kvm: " + missing)


class OutDirectories(unittest.TestCase):
    """run used one out/ directory: two runs at once overwrote each other's ISO and log."""

    def test_fresh_directory_per_run(self):
        with tempfile.TemporaryDirectory() as d, mock.patch.object(paths, "OUT", d):
            a = argparse.Namespace(out=None)
            one, two = cli.out_dir(a, "run"), cli.out_dir(a, "run")
            self.assertNotEqual(one, two)
            for x in (one, two):
                self.assertTrue(os.path.isdir(x))
                self.assertEqual(os.path.dirname(x), d)
                self.assertRegex(os.path.basename(x), r"^run-\d{8}-\d{6}-")
            given = os.path.join(d, "mine")
            self.assertEqual(cli.out_dir(argparse.Namespace(out=given), "iso"), given)
            self.assertTrue(os.path.isdir(given))


class PxeMac(unittest.TestCase):
    def test_bad_mac_named_as_a_mac(self):
        with tempfile.TemporaryDirectory() as d:
            err = io.StringIO()
            args = argparse.Namespace(guest=[], mac=["52:54:00:zz:00:01=timeout=0"], ip=[], kernel=None,
                                      out=d, cmdline="", timeout=5, interface="eth1", dhcp_range=None,
                                      proxy_subnet=None, grub_dir="/nonexistent")
            with mock.patch("sys.stderr", err):
                self.assertEqual(lab.cmd_pxe(args), 2)
            self.assertEqual(err.getvalue(), "vmxlab pxe: error: not a MAC address: '52:54:00:zz:00:01' "
                                             "(want 52:54:00:12:34:56)\n")


class PxeCmdline(unittest.TestCase):
    """pxe --cmdline and a machine's cmdline= go into grub.cfg the same way as iso's."""

    def pxe(self, cmdline="", mac=()):
        with tempfile.TemporaryDirectory() as d:
            err = io.StringIO()
            args = argparse.Namespace(guest=[], mac=list(mac), ip=[], kernel=None, out=d, cmdline=cmdline,
                                      timeout=5, interface="eth1", dhcp_range=None, proxy_subnet=None,
                                      grub_dir="/nonexistent")
            with mock.patch("sys.stderr", err):
                code = lab.cmd_pxe(args)
            return code, err.getvalue()

    def test_refused(self):
        code, err = self.pxe(cmdline=CmdlineQuoting.INJECT)
        self.assertEqual(code, 2)
        self.assertRegex(err, r"^vmxlab pxe: error: --cmdline .*';' would be read by GRUB")
        code, err = self.pxe(mac=["52:54:00:12:34:56=cmdline=log=info;reboot"])
        self.assertEqual(code, 2)
        self.assertRegex(err, r"^vmxlab pxe: error: 52:54:00:12:34:56: cmdline='log=info;reboot': ';' would be read")


class CaptureUnreachable(unittest.TestCase):
    """capture of a source it cannot open said why only in the per-machine log."""

    def test_reason_on_the_terminal(self):
        with tempfile.TemporaryDirectory() as d:
            err = io.StringIO()
            missing = os.path.join(d, "no-such-pty")
            cap.capture(["pc=%s" % missing], os.path.join(d, "logs"), duration=1.0, err=err)
            text = err.getvalue()
            self.assertRegex(text, r"capture: pc: cannot open %s\S*: .*No such file or directory.* \(retrying\)"
                             % missing)
            self.assertRegex(text, r"capture: pc: never connected to %s\S*: " % missing)


if __name__ == "__main__":
    unittest.main()

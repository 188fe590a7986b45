"""Tests for grub.cfg / dnsmasq config generation and the `pxe` command."""

import argparse
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from vmxlab_py import lab, pxe  # noqa: E402

HAVE_MKNETDIR = shutil.which("grub-mknetdir") and os.path.isdir(pxe.GRUB_PLATFORM_DIR)


def entries(cfg):
    """menuentry id -> list of command lines inside it."""
    out = {}
    for m in re.finditer(r'menuentry "[^"]*" --id (\S+) \{\n(.*?)\n\}', cfg, re.S):
        out[m.group(1)] = [l.strip() for l in m.group(2).splitlines()]
    return out


class GrubCfgTests(unittest.TestCase):
    def test_menu_of_guests(self):
        cfg = pxe.grub_cfg(["memtest", "syslinux"], "log=debug", timeout=7)
        self.assertIn("serial --unit=0 --speed=115200", cfg)
        self.assertIn("terminal_input serial console", cfg)
        self.assertIn("terminal_output serial console", cfg)
        self.assertIn("set timeout=7", cfg)
        self.assertIn('set default="guest-memtest"', cfg)
        e = entries(cfg)
        self.assertEqual(list(e), ["guest-memtest", "guest-syslinux", "local-disk", "local-floppy"])
        self.assertEqual(e["guest-syslinux"][1:], [
            "multiboot2 /boot/vmxlab.elf log=debug",
            "module2 /boot/guests/syslinux.bin guest syslinux",
            "boot"])

    def test_no_cmdline_no_trailing_space(self):
        e = entries(pxe.grub_cfg(["g"]))
        self.assertIn("multiboot2 /boot/vmxlab.elf", e["guest-g"])

    def test_no_guests_boots_kernel_alone(self):
        e = entries(pxe.grub_cfg([]))
        self.assertEqual(list(e), ["guest-none", "local-disk", "local-floppy"])
        self.assertFalse(any(l.startswith("module2") for l in e["guest-none"]))

    def test_local_disk_and_floppy_under_vmxlab(self):
        # a lab machine netboots vmxlab, then its own disk: the drive's first sector is the guest
        e = entries(pxe.grub_cfg(["g"], "log=debug"))
        self.assertEqual(e["local-disk"][1:], [
            "insmod biosdisk", "insmod part_msdos",
            "multiboot2 /boot/vmxlab.elf log=debug",
            "module2 (hd0)+1 guest local-disk",
            "boot"])
        # the floppy is BIOS drive 0x00; the lab's own options come after, so they win
        self.assertIn("multiboot2 /boot/vmxlab.elf guest.drive=0x00 log=debug", e["local-floppy"])
        self.assertIn("module2 (fd0)+1 guest local-floppy", e["local-floppy"])
        cfg = pxe.grub_cfg(["g"], default="local-disk")
        self.assertIn('set default="local-disk"', cfg)
        self.assertEqual(list(entries(pxe.grub_cfg(["g"], local=False))), ["guest-g"])

    def test_default_must_exist(self):
        self.assertIn('set default="guest-b"', pxe.grub_cfg(["a", "b"], default="b"))
        with self.assertRaises(pxe.PxeError):
            pxe.grub_cfg(["a"], default="zz")

    def test_config_names(self):
        self.assertEqual(pxe.mac_config_name("52:54:00:AB:cd:EF"),
                         "grub.cfg-01-52-54-00-ab-cd-ef")
        self.assertEqual(pxe.mac_config_name("52-54-00-12-34-56"),
                         "grub.cfg-01-52-54-00-12-34-56")
        self.assertEqual(pxe.ip_config_name("10.77.0.12"), "grub.cfg-0A4D000C")
        self.assertEqual(pxe.ip_config_name("192.168.1.0/24"), "grub.cfg-C0A801")
        self.assertEqual(pxe.ip_config_name("10.77.0.0/12"), "grub.cfg-0A4")
        for bad in ("52:54:00:12:34", "zz:54:00:12:34:56"):
            with self.assertRaises(pxe.PxeError):
                pxe.mac_config_name(bad)
        for bad in ("10.0.0.0/10", "300.1.1.1", "host"):
            with self.assertRaises(pxe.PxeError):
                pxe.ip_config_name(bad)

    def test_cfg_opts(self):
        self.assertEqual(pxe.parse_cfg_opts("guest=memtest,cmdline=a=1 b=2,c,timeout=0"),
                         {"guest": "memtest", "cmdline": "a=1 b=2,c", "timeout": "0"})
        for bad in ("colour=red", "timeout=soon"):
            with self.assertRaises(pxe.PxeError):
                pxe.parse_cfg_opts(bad)


class DnsmasqConfTests(unittest.TestCase):
    def lines(self, text):
        return [l for l in text.splitlines() if l and not l.startswith("#")]

    def test_full(self):
        l = self.lines(pxe.dnsmasq_conf("full", "/srv/lab", "br0",
                                        "10.77.0.50,10.77.0.60,1h"))
        for want in ("port=0", "interface=br0", "bind-interfaces", "enable-tftp",
                     "tftp-root=/srv/lab", "dhcp-range=10.77.0.50,10.77.0.60,1h",
                     "dhcp-boot=boot/grub/i386-pc/core.0",
                     "dhcp-option=encap:175,176,1b", "enable-ra",
                     "dhcp-range=::,constructor:br0,ra-only"):
            self.assertIn(want, l)
        self.assertFalse(any("proxy" in x for x in l))

    def test_full_without_ipv6_comments_ra_out(self):
        text = pxe.dnsmasq_conf("full", "/srv/lab", "br0", ipv6_ra=False)
        self.assertNotIn("enable-ra", self.lines(text))
        self.assertIn("#enable-ra", text)

    def test_proxy(self):
        l = self.lines(pxe.dnsmasq_conf("proxy", "/srv/lab", "eth0", "192.168.5.0"))
        self.assertIn("dhcp-range=192.168.5.0,proxy", l)
        self.assertIn('pxe-service=x86PC,"vmxlab (GRUB netboot)",'
                      'boot/grub/i386-pc/core.0', l)
        self.assertFalse(any(x.startswith("dhcp-boot") or "175" in x or
                             x == "enable-ra" for x in l))

    def test_relative_root_made_absolute(self):
        text = pxe.dnsmasq_conf("full", "tree", "br0")
        self.assertIn("tftp-root=%s" % os.path.abspath("tree"), text)

    def test_log_file(self):
        self.assertIn("log-facility=/tmp/x.log",
                      pxe.dnsmasq_conf("proxy", "/t", "e", log_file="/tmp/x.log"))

    @unittest.skipUnless(pxe.find_dnsmasq(), "dnsmasq not installed")
    def test_dnsmasq_accepts_both(self):
        with tempfile.TemporaryDirectory() as d:
            for mode in ("full", "proxy"):
                path = os.path.join(d, mode + ".conf")
                with open(path, "w") as f:
                    f.write(pxe.dnsmasq_conf(mode, d, "lo"))
                p = subprocess.run([pxe.find_dnsmasq(), "--test", "--conf-file=" + path],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True)
                self.assertEqual(p.returncode, 0, p.stdout)

    def test_default_range_avoids_server(self):
        import ipaddress
        r = pxe.default_range(ipaddress.IPv4Interface("10.77.0.1/24"))
        self.assertEqual(r, "10.77.0.128,10.77.0.227,255.255.255.0,1h")
        r = pxe.default_range(ipaddress.IPv4Interface("10.77.0.200/24"))
        self.assertEqual(r, "10.77.0.1,10.77.0.100,255.255.255.0,1h")


def run_cli(argv):
    parser = argparse.ArgumentParser(prog="vmxlab")
    lab.register(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = args.func(args)
    return rc, out.getvalue(), err.getvalue()


class CliTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.kernel = os.path.join(self.tmp, "k.elf")
        self.g1 = os.path.join(self.tmp, "one.img")
        for path, data in ((self.kernel, b"\x7fELF"), (self.g1, b"\xeb\xfe" * 256)):
            with open(path, "wb") as f:
                f.write(data)
        self.out = os.path.join(self.tmp, "tree")

    def test_errors_are_exit_codes(self):
        rc, _, err = run_cli(["pxe", "--out", self.out, "--guest", "x=/no/such"])
        self.assertEqual(rc, 2)
        self.assertIn("no such file", err)
        rc, _, err = run_cli(["pxe", "--out", self.out, "--guest", "a=" + self.g1,
                              "--mac", "52:54:00:12:34:56=guest=b"])
        self.assertEqual(rc, 2)
        self.assertIn("not one of the --guest names", err)
        rc, _, err = run_cli(["pxe-serve", os.path.join(self.tmp, "nothing")])
        self.assertEqual(rc, 2)
        self.assertIn("not a netboot tree", err)

    def test_serve_errors(self):
        tree = os.path.join(self.tmp, "t")
        os.makedirs(os.path.join(tree, "boot/grub/i386-pc"))
        open(os.path.join(tree, pxe.BOOTFILE), "w").close()
        real = pxe.find_dnsmasq
        try:
            pxe.find_dnsmasq = lambda: None
            rc, _, err = run_cli(["pxe-serve", tree, "-i", "lo"])
            self.assertEqual(rc, 2)
            self.assertIn("dnsmasq not found", err)
        finally:
            pxe.find_dnsmasq = real
        if pxe.find_dnsmasq():
            rc, _, err = run_cli(["pxe-serve", tree, "-i", "no-such-if0", "--dry-run"])
            self.assertEqual(rc, 2)
            self.assertIn("no such network interface 'no-such-if0'", err)
            if os.geteuid() != 0:
                rc, _, err = run_cli(["pxe-serve", tree, "-i", "lo"])
                self.assertIn("must run as root", err)
            rc, out, err = run_cli(["pxe-serve", tree, "-i", "lo", "--dry-run",
                                    "--log", os.path.join(self.tmp, "d.log")])
            self.assertEqual(rc, 0, err)
            self.assertIn("dhcp-range=127.0.0.128,127.0.0.227,255.0.0.0,1h", out)
            self.assertIn("tftp-root=%s" % tree, out)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "d.log")))

    @unittest.skipUnless(HAVE_MKNETDIR, "grub-mknetdir / grub-pc-bin not installed")
    def test_tree(self):
        rc, out, err = run_cli([
            "pxe", "--out", self.out, "--kernel", self.kernel,
            "--guest", "one=" + self.g1, "--guest", "two=" + self.g1,
            "--cmdline", "log=info", "--timeout", "3",
            "--mac", "52:54:00:12:34:56=guest=two,timeout=0",
            "--ip", "10.77.0.12=cmdline=log=trace"])
        self.assertEqual(rc, 0, err)
        j = lambda *p: os.path.join(self.out, *p)
        self.assertTrue(os.path.isfile(j("boot/grub/i386-pc/core.0")))
        self.assertTrue(os.path.isfile(j("boot/grub/i386-pc/normal.mod")))
        with open(j("boot/vmxlab.elf"), "rb") as f:
            self.assertEqual(f.read(), b"\x7fELF")
        self.assertTrue(os.path.isfile(j("boot/guests/one.bin")))
        self.assertTrue(os.path.isfile(j("boot/guests/two.bin")))
        with open(j("boot/grub/grub.cfg")) as f:
            cfg = f.read()
        self.assertEqual(list(entries(cfg)), ["guest-one", "guest-two", "local-disk", "local-floppy"])
        self.assertIn("set timeout=3", cfg)
        with open(j("boot/grub/grub.cfg-01-52-54-00-12-34-56")) as f:
            mac = f.read()
        self.assertIn('set default="guest-two"', mac)
        self.assertIn("set timeout=0", mac)
        self.assertIn("multiboot2 /boot/vmxlab.elf log=info", mac)
        with open(j("boot/grub/grub.cfg-0A4D000C")) as f:
            self.assertIn("multiboot2 /boot/vmxlab.elf log=trace", f.read())
        for mode in ("full", "proxy"):
            with open(j("dnsmasq-%s.conf" % mode)) as f:
                self.assertIn("tftp-root=%s\n" % os.path.abspath(self.out), f.read())

        # Rebuilding with fewer guests and machines removes the stale files.
        rc, _, err = run_cli(["pxe", "--out", self.out, "--guest", "two=" + self.g1])
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(j("boot/guests/one.bin")))
        self.assertFalse(os.path.exists(j("boot/grub/grub.cfg-0A4D000C")))
        self.assertTrue(os.path.exists(j("boot/vmxlab.elf")))


if __name__ == "__main__":
    unittest.main()

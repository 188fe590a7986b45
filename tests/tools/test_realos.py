"""The real-OS side of the CLI: images.py (the initramfs, the disk layouts), the ISO's local
disk/floppy entries, `run --disk/--floppy`, and the stall rule and VGA reading of emu.py."""

import argparse
import gzip
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from vmxlab_py import chain, cli, emu, images, iso  # noqa: E402


def cpio_entries(data):
    """(name, mode, rdevmajor, rdevminor, body) of a newc archive, as the kernel reads it."""
    out, pos = [], 0
    while True:
        hdr = data[pos:pos + 110]
        assert hdr[:6] == b"070701", hdr[:6]
        f = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        pos = (pos + 110 + namesize + 3) & ~3
        body = data[pos:pos + size]
        pos = (pos + size + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out.append((name, mode, rmaj, rmin, body))


class InitramfsTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.bb = os.path.join(self.tmp, "busybox")
        with open(self.bb, "wb") as f:
            f.write(b"\x7fELF fake busybox")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_console_node_init_and_applets(self):
        out = images.make_initramfs(self.bb, os.path.join(self.tmp, "initrd.gz"))
        ent = {e[0]: e for e in cpio_entries(gzip.decompress(open(out, "rb").read()))}
        # /dev/console as a character device 5:1 without mknod (no root needed)
        self.assertEqual(ent["dev/console"][1], 0o020600)
        self.assertEqual(ent["dev/console"][2:4], (5, 1))
        self.assertEqual(ent["init"][1], 0o100755)
        init = ent["init"][4].decode()
        self.assertTrue(init.startswith("#!/bin/sh\n"))
        self.assertIn('echo "vmxlab-realos: userland reached, cpus=$cpus"', init)
        self.assertIn("grep -c '^processor' /proc/cpuinfo", init)
        self.assertIn("poweroff -f", init)
        self.assertIn("reboot -f", init)
        for applet in ("sh", "mount", "grep", "cat", "poweroff", "reboot"):
            self.assertEqual(ent["bin/" + applet][1], 0o120777)
            self.assertEqual(ent["bin/" + applet][4], b"busybox")
        self.assertEqual(ent["bin/busybox"][4], b"\x7fELF fake busybox")

    @unittest.skipUnless(shutil.which("nasm"), "nasm not installed")
    def test_tsc_probe(self):
        tsc = images.make_tsc(os.path.join(self.tmp, "tsc"))
        out = images.make_initramfs(self.bb, os.path.join(self.tmp, "initrd.gz"), tsc)
        ent = {e[0]: e for e in cpio_entries(gzip.decompress(open(out, "rb").read()))}
        self.assertEqual(ent["bin/tsc"][4][:4], b"\x7fELF")
        self.assertIn('echo "vmxlab-realos: tsc at /init $tsc"', ent["init"][4].decode())
        if sys.platform == "linux" and os.uname().machine == "x86_64":  # the probe runs here too
            r = subprocess.run([tsc], stdout=subprocess.PIPE, text=True, check=True)
            self.assertRegex(r.stdout, r"^[0-9]+\n$")

    def test_same_input_same_archive(self):
        a = open(images.make_initramfs(self.bb, os.path.join(self.tmp, "a.gz")), "rb").read()
        time.sleep(1.1)
        b = open(images.make_initramfs(self.bb, os.path.join(self.tmp, "b.gz")), "rb").read()
        self.assertEqual(a, b)

    @unittest.skipUnless(shutil.which("cpio"), "cpio not installed")
    def test_cpio_reads_it(self):
        out = images.make_initramfs(self.bb, os.path.join(self.tmp, "initrd.gz"))
        r = subprocess.run(["cpio", "-t", "--quiet"], input=gzip.decompress(open(out, "rb").read()),
                           stdout=subprocess.PIPE, check=True)
        self.assertIn(b"dev/console\n", r.stdout)
        self.assertIn(b"init\n", r.stdout)


class CommandLineTests(unittest.TestCase):
    def test_no_workaround_on_linux_command_line(self):
        line = images.linux_cmdline()
        self.assertEqual(line, "console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 nokaslr mitigations=off "
                               "tsc=reliable panic=-1")
        for w in ("nolapic", "noinvpcid", "noxsave", "clearcpuid", "noapic"):
            self.assertNotIn(w, line)
        self.assertTrue(images.linux_cmdline("reboot").endswith(" vmxlab.end=reboot"))

    def test_syslinux_cfg(self):
        cfg = images.syslinux_cfg("console=ttyS0 x=1")
        self.assertIn("DEFAULT linux\n", cfg)
        self.assertIn("TIMEOUT 0\n", cfg)
        self.assertIn("  APPEND console=ttyS0 x=1\n", cfg)

    def test_grub_cfg_boots_at_once(self):
        cfg = images.grub_cfg("console=ttyS0")
        self.assertIn("set timeout=0\n", cfg)
        self.assertIn("linux /boot/vmlinuz console=ttyS0\n", cfg)
        self.assertIn("initrd /boot/initrd.gz\n", cfg)


class DiskLayoutTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_chs(self):
        # LBA 2048 with 16 heads x 63 sectors: cylinder 2, head 0, sector 33
        self.assertEqual(images._chs(2048), bytes((0, 33, 2)))
        self.assertEqual(images._chs(0), bytes((0, 1, 0)))
        self.assertEqual(images._chs(10 ** 9), bytes((15, 0xC0 | 63, 0xFF)))

    def test_floppy_is_1440k(self):
        src = os.path.join(self.tmp, "m.bin")
        with open(src, "wb") as f:
            f.write(b"\xeb\x3c" + bytes(508) + b"\x55\xaa")
        out = images.make_floppy(os.path.join(self.tmp, "f.img"), src)
        self.assertEqual(os.path.getsize(out), 1474560)
        with open(out, "rb") as f:
            self.assertEqual(f.read(512)[510:], b"\x55\xaa")

    def _parts(self):
        k, i = os.path.join(self.tmp, "vmlinuz"), os.path.join(self.tmp, "initrd.gz")
        for p in (k, i):
            with open(p, "wb") as f:
                f.write(os.urandom(4096))
        return k, i

    @unittest.skipUnless(shutil.which("grub-mkimage") and shutil.which("mformat"), "grub-pc-bin/mtools missing")
    def test_grub_disk_mbr_core_and_partition(self):
        k, i = self._parts()
        out = images.make_grub_disk(os.path.join(self.tmp, "grub.img"), k, i, "console=ttyS0")
        size = os.path.getsize(out)
        self.assertEqual(size % images.CYLINDER, 0)  # whole cylinders: Bochs's geometry from the size
        with open(out, "rb") as f:
            mbr = f.read(512)
            core = f.read(512)
        boot = open(os.path.join(images.GRUB_PC, "boot.img"), "rb").read()
        self.assertEqual(mbr[:0x66], boot[:0x66])
        self.assertEqual(mbr[0x66:0x68], b"\x90\x90")  # the boot-drive check off, as grub-bios-setup does
        self.assertEqual(mbr[510:], b"\x55\xaa")
        status, ptype = mbr[446], mbr[446 + 4]
        start, count = struct.unpack("<II", mbr[446 + 8:446 + 16])
        self.assertEqual((status, ptype, start), (0x80, 0x06, images.PART_START))
        self.assertEqual(start + count, size // 512)
        self.assertEqual(mbr[462:510], bytes(48))
        diskboot = open(os.path.join(images.GRUB_PC, "diskboot.img"), "rb").read()
        self.assertEqual(core[:0x100], diskboot[:0x100])  # core.img from LBA 1
        r = subprocess.run(["mdir", "-b", "-i", "%s@@%d" % (out, start * 512), "::boot"], stdout=subprocess.PIPE,
                           text=True, check=True)
        self.assertIn("::/boot/vmlinuz", r.stdout)
        self.assertIn("::/boot/grub/", r.stdout)

    @unittest.skipUnless(shutil.which("syslinux") and shutil.which("mkfs.fat"), "syslinux/dosfstools missing")
    def test_syslinux_superfloppy(self):
        k, i = self._parts()
        out = images.make_syslinux_disk(os.path.join(self.tmp, "l.img"), k, i, "console=ttyS0")
        self.assertEqual(os.path.getsize(out) % images.CYLINDER, 0)
        with open(out, "rb") as f:
            sector = f.read(512)
        self.assertEqual(sector[510:], b"\x55\xaa")
        self.assertEqual(sector[0x36:0x3b], b"FAT16")
        r = subprocess.run(["mdir", "-a", "-b", "-i", out, "::"], stdout=subprocess.PIPE, text=True, check=True)
        for name in ("LDLINUX.SYS", "SYSLINUX.CFG", "VMLINUZ", "INITRD.GZ"):
            self.assertIn(name.lower(), r.stdout.lower())


class IsoMenuTests(unittest.TestCase):
    def test_local_entries_follow_the_guests(self):
        cfg = iso.grub_cfg([("vmxlab: hello", "", "/boot/guest.bin", "hello"),
                            ("boot the local disk under vmxlab", "", "(hd0)+1", "local-disk")])
        disk = cfg[cfg.index('menuentry "boot the local disk under vmxlab"'):]
        self.assertIn("    insmod biosdisk\n", disk)
        self.assertIn("    module2 (hd0)+1 guest local-disk\n", disk)
        self.assertNotIn("insmod", cfg[:cfg.index(disk)])  # a file guest needs no drive module

    def test_floppy_options(self):
        self.assertEqual(chain.options("local-floppy", "log=debug"), "guest.drive=0x00 log=debug")
        self.assertEqual(chain.options("local-disk", ""), "")
        self.assertEqual(chain.find("local-disk")[1], "(hd0)+1")

    def test_make_iso_entries(self):
        seen = {}

        def fake_cfg(entries, interactive=True, timeout=5):
            seen["entries"] = entries
            return ""
        with mock.patch.object(iso, "grub_cfg", fake_cfg), mock.patch.object(iso.subprocess, "run") as run:
            run.return_value = subprocess.CompletedProcess([], 0, "")
            tmp = tempfile.mkdtemp()
            try:
                kernel = os.path.join(tmp, "k.elf")
                open(kernel, "wb").close()
                iso.make_iso(os.path.join(tmp, "x.iso"), kernel, "local-floppy", "log=info", interactive=False)
                self.assertEqual(seen["entries"], [("boot the floppy under vmxlab", "guest.drive=0x00 log=info",
                                                    "(fd0)+1", "local-floppy")])
                iso.make_iso(os.path.join(tmp, "x.iso"), kernel, None, "", interactive=True)
                self.assertEqual([e[3] for e in seen["entries"]], [None, "local-disk", "local-floppy"])
            finally:
                shutil.rmtree(tmp)


class CliTests(unittest.TestCase):
    def parse(self, *argv):
        captured = {}
        with mock.patch.object(cli, "cmd_run", lambda a: captured.setdefault("a", a) and 0), \
                mock.patch.object(cli, "cmd_iso", lambda a: captured.setdefault("a", a) and 0):
            cli.main(list(argv))
        return captured["a"]

    def test_run_disk_boots_local_disk(self):
        a = self.parse("run", "--disk", "my.img")
        self.assertEqual(a.disk, "my.img")
        self.assertEqual(cli._resolve_guest(a), "local-disk")
        a = self.parse("run", "--floppy", "f.img")
        self.assertEqual(cli._resolve_guest(a), "local-floppy")
        a = self.parse("run", "--disk", "d.img", "--guest", "hello")
        self.assertEqual(cli._resolve_guest(a), "hello")
        self.assertEqual(cli._resolve_guest(self.parse("run")), "hello")

    def test_iso_disk_and_floppy_flags(self):
        self.assertEqual(cli._resolve_guest(self.parse("iso", "--disk")), "local-disk")
        self.assertEqual(cli._resolve_guest(self.parse("iso", "--floppy")), "local-floppy")


class EmuTests(unittest.TestCase):
    def test_bochsrc_drives(self):
        rc = emu.bochsrc("/x.iso", "s", "l", disk="/d.img", floppy="/f.img")
        self.assertIn('ata0-master: type=cdrom, path="/x.iso", status=inserted\n', rc)
        self.assertIn('ata0-slave: type=disk, path="/d.img", mode=flat\n', rc)
        self.assertIn('floppya: 1_44="/f.img", status=inserted\n', rc)
        self.assertIn("boot: cdrom\n", rc)
        rc = emu.bochsrc(None, "s", "l", disk="/d.img")
        self.assertNotIn("cdrom", rc)
        self.assertIn("boot: disk\n", rc)
        self.assertIn("boot: floppy\n", emu.bochsrc(None, "s", "l", floppy="/f.img"))

    def test_parse_vga(self):
        # the debugger prints 8 bytes a line: character, attribute, ...
        text = "A\x07" * 2000
        raw = text.encode("latin-1")
        lines = ["0x00000000000b%04x <bogus+%8d>:" % (0x8000 + i, i) + "".join("\t0x%02x" % b for b in raw[i:i + 8])
                 for i in range(0, 4000, 8)]
        rows = emu.parse_vga("[bochs]:\n" + "\n".join(lines) + "\n")
        self.assertEqual(len(rows), 25)
        self.assertEqual(rows[0], "A" * 80)
        self.assertIsNone(emu.parse_vga("nothing"))

    def test_cpu_seconds(self):
        t = time.process_time()
        while time.process_time() - t < 0.3:
            pass
        self.assertGreater(emu.cpu_seconds(os.getpid()), 0.2)
        self.assertEqual(emu.cpu_seconds(2 ** 22 + 12345), 0.0)  # no such process

    def test_stall_rule_stops_a_silent_run(self):
        # a "Bochs" that prints one line and then nothing: stopped by the stall rule, not the timeout
        tmp = tempfile.mkdtemp()
        try:
            fake = os.path.join(tmp, "bochs")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\nrc=$3\nserial=$(sed -n 's/^com1: .*dev=//p' $rc)\n"
                        "echo booting > $serial\nexec sleep 60\n")
            os.chmod(fake, 0o755)
            res = {}
            env = dict(os.environ, PATH=tmp + os.pathsep + os.environ["PATH"])
            with mock.patch.dict(os.environ, env):
                t0 = time.time()
                st, text, _ = emu.run(None, "bochs", workdir=os.path.join(tmp, "w"), timeout=30, stall=2,
                                      floppy=None, disk=None, boot="disk", result=res)
            self.assertLess(time.time() - t0, 20)
            self.assertEqual(res["ended"], "stall")
            self.assertIsNone(st)
            self.assertEqual(text, "booting\n")
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()

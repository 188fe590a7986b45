"""--bios: Bochs's system BIOS in emu.bochsrc / emu.run, bare.run and `vmxlab run`."""
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from vmxlab_py import bare, cli, deps, emu  # noqa: E402


class BiosTests(unittest.TestCase):
    def test_default_is_bochs_bios_without_pci_vga(self):
        rc = emu.bochsrc("/x.iso", "s", "l")
        self.assertIn("romimage: file=/usr/share/bochs/BIOS-bochs-latest\n", rc)
        self.assertNotIn("pcivga", rc)
        self.assertEqual(rc.count("\nromimage:") + rc.startswith("romimage:"), 1)

    def test_seabios_gets_a_pci_vga_card(self):
        rc = emu.bochsrc("/x.iso", "s", "l", bios="seabios")
        self.assertIn("romimage: file=/usr/share/seabios/bios.bin\n", rc)
        self.assertIn("pci: enabled=1, chipset=i440fx, slot1=pcivga\n", rc)
        self.assertIn("vgaromimage: file=/usr/share/vgabios/vgabios.bin\n", rc)
        self.assertEqual(rc.count("\nromimage:") + rc.startswith("romimage:"), 1)

    def test_seabios_is_installed_where_the_config_says(self):
        # deps.py installs the package; the path is what Debian's seabios ships
        self.assertIn("seabios", deps.PACKAGES)
        if os.path.exists("/usr/share/seabios"):
            self.assertTrue(os.path.isfile(emu.BIOSES["seabios"]))

    def test_qemu_refuses_another_bios(self):
        with self.assertRaises(ValueError):
            emu.run(None, "qemu", bios="seabios", workdir=self.tmpdir(), timeout=1)

    def test_bare_passes_the_bios_on(self):
        seen = {}
        with mock.patch.object(emu, "run", lambda *a, **k: seen.update(k) or (None, "", "l")), \
                mock.patch.object(bare, "make_floppy", lambda g, out: out):
            bare.run("g.bin", workdir="/tmp", bios="seabios")
        self.assertEqual(seen["bios"], "seabios")

    def test_cli_run_bios_flag(self):
        captured = {}
        with mock.patch.object(cli, "cmd_run", lambda a: captured.setdefault("a", a) and 0):
            cli.main(["run", "--bios", "seabios"])
            self.assertEqual(captured.pop("a").bios, "seabios")
            cli.main(["run"])
            self.assertEqual(captured["a"].bios, "bochs")
        with self.assertRaises(SystemExit):
            cli.main(["run", "--bios", "coreboot"])

    def test_cli_run_qemu_with_seabios_is_bad_input(self):
        import contextlib
        import io
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = cli.main(["run", "--emulator", "qemu", "--bios", "seabios"])
        self.assertEqual(rc, 2)
        self.assertEqual(err.getvalue(), "vmxlab run: --bios seabios: only Bochs takes another BIOS "
                                         "(QEMU runs SeaBIOS already)\n")

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="vmxlab-biostest-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


if __name__ == "__main__":
    unittest.main()

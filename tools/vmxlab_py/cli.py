"""Subcommands of tools/vmxlab."""
import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time

from . import build as buildmod
from . import chain, deps, emu, guestsrc, iso, paths

EXIT_CODES = ("exit code: the kernel's status (0 ok, 1 guest failed, 2 bad input, 3 no VMX, 4 internal), 124 no status "
              "line; the CLI's own: 2 bad input, 3 qemu-kvm cannot run here")


def cmd_deps(a):
    return deps.ensure()


def cmd_build(a):
    if deps.ensure(quiet=True):
        return 1
    return buildmod.build(a.build_dir)


def _guest_file(a):
    """--guest FILE, checked before anything is built: a flat binary as it is, nasm source (.asm)
    assembled with guest-images/include (and guest.load= of --cmdline). Bad input: one line on
    stderr, exit 2. Sets a.guest_file (None for a name, 'none' or a local drive)."""
    a.guest_file = None
    g = a.guest
    if g is None or g == "none" or g in chain.IDS or not guestsrc.is_file_arg(g):
        return
    os.makedirs(paths.OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="guest-", dir=paths.OUT)  # two runs never share one
    try:
        a.guest_file = guestsrc.resolve(g, a.cmdline, workdir=work)
    except guestsrc.BadGuest as e:
        print(e, file=sys.stderr)
        raise SystemExit(2)


def _guest_path(name):
    """--guest NAME: a guest of guest-images/ by name, its built image."""
    path = paths.guest_bin(name)
    if not os.path.exists(path):
        print("vmxlab: no guest named %s (no %s; the names are guest-images/*.asm, or give a file)" % (name, path),
              file=sys.stderr)
        raise SystemExit(2)
    return path


def _all_guests():
    d = os.path.join(paths.BUILD, "guests")
    return sorted((f[:-4], os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".bin")) if os.path.isdir(d) else []


def _resolve_guest(a):
    """--guest, or with --disk / --floppy (and no --guest) the drive's boot sector."""
    if a.guest is None:
        a.guest = "hello"
        if getattr(a, "floppy", None):
            a.guest = "local-floppy"
        if getattr(a, "disk", None):
            a.guest = "local-disk"
    return a.guest


def _make_iso(a, out, interactive):
    g = _resolve_guest(a)
    guest = None if g == "none" else g if g in chain.IDS else getattr(a, "guest_file", None) or _guest_path(g)
    extras = [g for g in _all_guests() if not guest or g[1] != os.path.abspath(guest)] if interactive else []
    return iso.make_iso(out, paths.kernel_elf(), guest, a.cmdline or "", interactive=interactive, extra_guests=extras)


def bad_input(what, line):
    """The CLI's one line for bad input; exit status 2, as the kernel's (README)."""
    print("vmxlab %s: %s" % (what, line), file=sys.stderr)
    return 2


def out_dir(a, what):
    """--out DIR, else a fresh directory under out/ for this run (two runs never share one)."""
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        return os.path.abspath(a.out)
    os.makedirs(paths.OUT, exist_ok=True)
    return tempfile.mkdtemp(prefix=time.strftime(what + "-%Y%m%d-%H%M%S-"), dir=paths.OUT)


def cmd_iso(a):
    _guest_file(a)
    err = iso.check_cmdline(a.cmdline)
    if err:
        return bad_input("iso", err)
    if deps.ensure(quiet=True) or buildmod.build(quiet=True):
        return 1
    out = a.output or os.path.join(out_dir(a, "iso"), "vmxlab.iso")
    _make_iso(a, out, interactive=not a.batch)
    print("iso: %s (guest %s, options \"%s\")" % (out, a.guest, a.cmdline or ""))
    return 0


def pick_emulator(requested):
    if requested:
        return requested, "asked for with --emulator"
    if emu.host_has_nested_vmx():
        return "qemu-kvm", "this host has nested Intel VMX, so QEMU with KVM runs VMX natively"
    return "bochs", "the host has no nested Intel VMX; Bochs 2.7 emulates VMX with EPT and APIC virtualization"


def cmd_run(a):
    _guest_file(a)
    err = iso.check_cmdline(a.cmdline)
    which, why = pick_emulator(a.emulator)
    if not err:
        err = emu.check_machine(which, a.cpu, a.cpus)  # the --cpus range before anything is built
    if not err and a.bios != "bochs" and which != "bochs":
        err = "--bios %s: only Bochs takes another BIOS (QEMU runs SeaBIOS already)" % a.bios
    if err:
        return bad_input("run", err)
    if which == "qemu-kvm":
        missing = emu.kvm_preflight()
        if missing:  # status 3 as the kernel's: this machine cannot run vmxlab (README)
            print("vmxlab run: --emulator qemu-kvm: %s" % missing, file=sys.stderr)
            return 3
    if deps.ensure(quiet=True):
        return 1
    if which == "bochs":
        err = emu.check_machine(which, a.cpu, a.cpus, emu.bochs_models())
        if err:
            return bad_input("run", err)
    if buildmod.build(quiet=True):
        return 1
    out = out_dir(a, "run")
    a.log = a.log or os.path.join(out, "serial.log")
    print("run: output in %s" % out, flush=True)
    image = os.path.join(out, "run.iso")
    _make_iso(a, image, interactive=False)
    print("run: %s (%s), cpu %s x%d, bios %s, guest %s; serial log in %s" % (
        which, why, a.cpu, a.cpus, a.bios if which == "bochs" else "seabios", a.guest, a.log), flush=True)
    from . import images
    for what in ("disk", "floppy"):  # a name from images.py (linux, memtest, ...) is built first
        name = getattr(a, what)
        if name and not os.path.exists(name) and name in images.NAMES:
            setattr(a, what, images.image(name))
    for what, img in (("disk", a.disk), ("floppy", a.floppy)):
        if img and not os.path.isfile(img):
            raise SystemExit("vmxlab: no %s image %s" % (what, img))
        if img:  # Bochs locks an image it has open: emu.run boots a copy
            print("run: %s %s attached (%s), a copy per run" % (
                what, img, "ata0-slave, BIOS drive 0x80" if what == "disk" else "floppy A, BIOS drive 0x00"))
    result = {}
    status, _, emu_log = emu.run(image, which, a.cpu, a.cpus, serial_log=os.path.abspath(a.log), timeout=a.timeout,
                                 stream=sys.stdout, workdir=os.path.join(out, which),
                                 disk=a.disk, floppy=a.floppy, stall=a.stall or None, megs=a.megs, result=result,
                                 bios=a.bios)
    if status is None:
        for line in result.get("errors", []):  # the emulator's own reason, when it gave one
            print("run: %s: %s" % (which, line), file=sys.stderr)
        print("run: no status line from vmxlab (%s %s; see %s)" % (
            which, "ended with exit code %s" % result.get("returncode") if result.get("ended") == "exit"
            else "stopped: " + str(result.get("ended")), emu_log), file=sys.stderr)
        return 124
    print("run: vmxlab status %d" % status)
    return status


def cmd_test(a):
    if deps.ensure(quiet=True):
        return 1
    if buildmod.build(quiet=False):
        return 1
    args = ["ctest", "--test-dir", paths.BUILD, "--output-on-failure", "-j", str(a.jobs)]
    if a.label:
        args += ["-L", a.label]
    if a.regex:
        args += ["-R", a.regex]
    return subprocess.run(args).returncode


def main(argv):
    p = argparse.ArgumentParser(prog="vmxlab", description="Build, boot and test vmxlab, a teaching VMX hypervisor.",
                                epilog=EXIT_CODES)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("deps", help="install the Debian packages vmxlab needs (prints the apt line when not root)")
    s.set_defaults(fn=cmd_deps)

    s = sub.add_parser("build", help="build the kernel, guest images and host tests (CMake)")
    s.add_argument("--build-dir", default=None)
    s.set_defaults(fn=cmd_build)

    def guest_opts(s):
        s.add_argument("--guest", default=None,
                       help="guest image: a name from guest-images/, a flat binary, or nasm source (.asm, assembled "
                            "with guest-images/include) (default hello; 'none' for no module; "
                            "local-disk / local-floppy: that drive's boot sector)")
        s.add_argument("--cmdline", default="", help="vmxlab options, e.g. 'log=debug apic=decode'")

    s = sub.add_parser("iso", help="build a bootable ISO (GRUB menu of every guest, the chosen one first)")
    guest_opts(s)
    s.add_argument("-o", "--output", default=None, help="the ISO file (default DIR/vmxlab.iso, DIR from --out)")
    s.add_argument("--batch", action="store_true", help="no menu, no serial terminal: boot the guest at once")
    s.add_argument("--out", default=None, metavar="DIR",
                   help="directory for the ISO (default: a fresh out/iso-DATE-TIME-XXXX/ per run)")
    s.add_argument("--disk", action="store_const", const="local-disk", dest="guest",
                   help="the first entry boots the machine's first hard disk (its boot sector) under vmxlab")
    s.add_argument("--floppy", action="store_const", const="local-floppy", dest="guest",
                   help="the first entry boots the floppy under vmxlab")
    s.set_defaults(fn=cmd_iso)

    s = sub.add_parser("run", help="boot vmxlab and a guest in an emulator, streaming the serial log", epilog=EXIT_CODES)
    guest_opts(s)
    s.add_argument("--emulator", choices=["bochs", "qemu", "qemu-kvm"], default=None,
                   help="default: bochs, or qemu-kvm on a host with nested Intel VMX")
    s.add_argument("--cpu", default="corei7_skylake_x", help="Bochs CPU model: " + ", ".join(emu.BOCHS_CPUS))
    s.add_argument("--cpus", type=int, default=1, help="CPUs (Bochs: 1-%d)" % emu.BOCHS_MAX_CPUS)
    s.add_argument("--bios", choices=sorted(emu.BIOSES), default="bochs",
                   help="Bochs's system BIOS: bochs (its own, default) or seabios (QEMU's firmware)")
    s.add_argument("--out", default=None, metavar="DIR",
                   help="directory for the ISO, the serial log and the emulator's files (default: a fresh "
                        "out/run-DATE-TIME-XXXX/ per run, named in the first line)")
    s.add_argument("--log", default=None, help="serial log file (default DIR/serial.log)")
    s.add_argument("--timeout", type=int, default=600, help="seconds before the emulator is stopped")
    s.add_argument("--disk", default=None, metavar="IMG",
                   help="attach a flat hard-disk image (BIOS drive 0x80) and boot its boot sector under vmxlab; "
                        "linux, linux-reboot, grub: that image of `vmxlab images`")
    s.add_argument("--floppy", default=None, metavar="IMG",
                   help="attach a 1.44 MB floppy image (drive 0x00) and boot its boot sector under vmxlab; "
                        "memtest: the memtest86+ floppy of `vmxlab images`")
    s.add_argument("--megs", type=int, default=128, help="guest machine memory in MiB")
    s.add_argument("--stall", type=int, default=0,
                   help="stop when the serial log has not grown for this many seconds (0: never)")
    s.set_defaults(fn=cmd_run)

    s = sub.add_parser("test", help="install what is missing, build, and run every test (ctest)")
    s.add_argument("-L", "--label", default=None, help="only tests with this label (unit, boot, tools, realos)")
    s.add_argument("-R", "--regex", default=None, help="only tests matching this regex")
    s.add_argument("-j", "--jobs", type=int, default=2)
    s.set_defaults(fn=cmd_test)

    for mod in ("lab", "bench", "images", "difftest", "exercise"):  # optional command groups, each in its own module
        try:
            m = importlib.import_module("vmxlab_py." + mod)
        except ImportError:
            continue
        m.register(sub)

    a = p.parse_args(argv)
    return a.fn(a)

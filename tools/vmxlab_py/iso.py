"""GRUB configuration and the bootable ISO (grub-mkrescue, BIOS/i386-pc)."""
import os
import re
import shutil
import subprocess
import tempfile

from . import chain

GRUB_PC = "/usr/lib/grub/i386-pc"

# What a --cmdline may hold: vmxlab's options are key=value words of these characters. Any
# other one GRUB's script parser could read itself (; ends the command, { } ( ) < > | & group
# and redirect, $ expands, ' " \\ quote, # starts a comment, a newline ends the line) instead
# of passing it to vmxlab; quoting them would hand vmxlab a word it refuses anyway.
CMDLINE_OK = re.compile(r"[A-Za-z0-9 ._:=,+/-]*")


def check_cmdline(cmdline):
    """None if cmdline can go into a grub.cfg multiboot2 line as it is, else one line naming
    the first character GRUB would interpret."""
    if CMDLINE_OK.fullmatch(cmdline or ""):
        return None
    bad = next(c for c in cmdline if not CMDLINE_OK.fullmatch(c))
    return ("--cmdline %r: %r would be read by GRUB's configuration parser, not passed to vmxlab "
            "(options are key=value words of letters, digits and . _ : = , + / -)" % (cmdline, bad))


def grub_cfg(entries, interactive=True, timeout=5):
    """entries: list of (title, kernel options, guest path inside the tree or None, guest name).
    A guest path that is a GRUB blocklist ("(hd0)+1": chain.LOCAL) reads the drive's sector.

    For people: a menu on the serial line and the screen with a timeout. For tests
    (interactive=False): the first entry boots at once, and GRUB stays off the serial
    line so that the serial log holds only what vmxlab and the guest print."""
    for _, opts, *_ in entries:
        if check_cmdline(opts):
            raise ValueError(check_cmdline(opts))
    lines = []
    if interactive:
        lines += ["serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1",
                  "terminal_input serial console", "terminal_output serial console",
                  "set timeout=%d" % timeout]
    else:
        lines += ["terminal_output console", "set timeout=0", "set timeout_style=hidden"]
    lines.append("set default=0")
    for title, opts, guest, name, *more in entries:
        lines.append('menuentry "%s" {' % title)
        lines.append("    multiboot2 /boot/vmxlab.elf %s" % opts if opts else "    multiboot2 /boot/vmxlab.elf")
        if guest and guest.startswith("("):
            lines.append("    insmod biosdisk")
            lines.append("    insmod part_msdos")
        if guest:  # the contract's module line; the word after "guest" names it in the log
            lines.append("    module2 %s guest %s" % (guest, name))
        for path, mname in more[0] if more else ():  # a second guest module (a bad-input test)
            lines.append("    module2 %s guest %s" % (path, mname))
        lines.append("    boot")
        lines.append("}")
    return "\n".join(lines) + "\n"


def make_iso(out, kernel, guest=None, cmdline="", interactive=True, extra_guests=(), timeout=5, local=None,
             second_guest=None):
    """Build out (an ISO). guest: the default guest image file (None: no guest module), or a
    chain.LOCAL id ("local-disk", "local-floppy"): the machine's own drive under vmxlab.
    extra_guests: more (name, file) pairs offered in the menu. local: offer the local-drive
    entries after the guests (default: in an interactive menu). second_guest: a file given to
    the first entry as a second module named guest (which vmxlab refuses: a test of that)."""
    local = interactive if local is None else local
    tree = tempfile.mkdtemp(prefix="vmxlab-iso-")
    try:
        boot = os.path.join(tree, "boot")
        os.makedirs(os.path.join(boot, "grub"))
        os.makedirs(os.path.join(boot, "guests"))
        shutil.copy(kernel, os.path.join(boot, "vmxlab.elf"))
        entries = []
        if guest in chain.IDS:
            ident, blocklist, _, title = chain.find(guest)
            entries.append((title, chain.options(ident, cmdline), blocklist, ident))
        elif guest:
            name = os.path.splitext(os.path.basename(guest))[0]
            shutil.copy(guest, os.path.join(boot, "guest.bin"))
            more = []
            if second_guest:
                shutil.copy(second_guest, os.path.join(boot, "guest2.bin"))
                more = [("/boot/guest2.bin", os.path.splitext(os.path.basename(second_guest))[0])]
            entries.append(("vmxlab: %s" % name, cmdline, "/boot/guest.bin", name, more))
        else:
            entries.append(("vmxlab (no guest)", cmdline, None, None))
        for name, path in extra_guests:
            shutil.copy(path, os.path.join(boot, "guests", name + ".bin"))
            entries.append(("vmxlab: %s" % name, cmdline, "/boot/guests/%s.bin" % name, name))
        for ident, blocklist, _, title in chain.LOCAL if local else ():
            if ident != guest:
                entries.append((title, chain.options(ident, cmdline), blocklist, ident))
        with open(os.path.join(boot, "grub", "grub.cfg"), "w") as f:
            f.write(grub_cfg(entries, interactive, timeout))
        r = subprocess.run(["grub-mkrescue", "-d", GRUB_PC, "-o", out, tree,
                            "--install-modules=multiboot2 normal serial terminal iso9660 biosdisk part_msdos boot",
                            "--fonts=", "--locales=", "--themes="],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode:
            raise RuntimeError("grub-mkrescue failed:\n" + r.stdout)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return out

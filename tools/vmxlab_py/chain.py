"""GRUB menu entries that boot the machine's own disk or floppy under vmxlab.

GRUB reads the drive's first sector as the guest module through a blocklist, `(hd0)+1`
(512 bytes from sector 0 of the first BIOS hard disk). vmxlab copies it to 0x7C00 and enters
it as the BIOS would a boot sector: DL = 0x80 by default for a one-sector module with the
0x55AA signature (kernel/guestimg.c); the floppy entry says guest.drive=0x00. The ISO menu
(iso.py) and the netboot tree (pxe.py) both offer these, so a lab machine can netboot
vmxlab and then its own operating system under it (docs/real-guests.md)."""

# id, blocklist, vmxlab options, title
LOCAL = (
    ("local-disk", "(hd0)+1", "", "boot the local disk under vmxlab"),
    ("local-floppy", "(fd0)+1", "guest.drive=0x00", "boot the floppy under vmxlab"),
)
IDS = tuple(e[0] for e in LOCAL)


def find(ident):
    for e in LOCAL:
        if e[0] == ident:
            return e
    raise KeyError(ident)


def options(ident, cmdline=""):
    """The entry's drive option first, so that a guest.drive in cmdline wins (last word wins)."""
    return " ".join(w for w in (find(ident)[2], cmdline) if w)


def body(ident, kernel, cmdline=""):
    """The lines inside the menu entry (indented), kernel: its path in GRUB's tree."""
    _, blocklist, _, _ = find(ident)
    opts = options(ident, cmdline)
    return ["    insmod biosdisk",
            "    insmod part_msdos",
            ("    multiboot2 %s %s" % (kernel, opts)).rstrip(),
            # the contract's "guest" word; the next word names the guest in vmxlab's log
            "    module2 %s guest %s" % (blocklist, ident),
            "    boot"]

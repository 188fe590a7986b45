#!/usr/bin/env python3
"""A lab machine netboots vmxlab and then its own disk: Bochs boots from its e1000 (Debian's
iPXE ROM, Bochs's built-in DHCP/TFTP "vnet": no packet leaves Bochs) into the tree of
`vmxlab pxe`, whose per-machine config (this MAC) defaults to the "boot the local disk under
vmxlab" entry; the machine's disk is images.py's linux.img on ata0-slave. The test passes
when vmxlab chainloads the disk's boot sector with DL=0x80 and syslinux loads Linux, then
guest.stop ends the run: vmxlab's status line, status 1.

    tests/boot/realos_pxe.py --kernel build/vmxlab.elf
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from vmxlab_py import emu, images, pxe  # noqa: E402

ROM = "/usr/lib/ipxe/qemu/pxe-e1000.rom"
MAC = "52:54:00:12:34:56"
EXPECT = (
    r"I guest: name=local-disk size=512 load=0x7c00 entry=0000:7c00 DL=0x80 \(a boot sector",
    r"^SYSLINUX 6\.04",
    r"^Loading vmlinuz\.\.\. ok",
    r"^KASLR disabled: 'nokaslr' on cmdline\.",
    r"I exit: VMX-preemption timer expired \(reason 52\)",
)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", required=True)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--stall", type=float, default=90)
    a = p.parse_args()
    if not os.path.exists(ROM) or not shutil.which("grub-mknetdir"):
        print("SKIP: no iPXE e1000 ROM (ipxe-qemu) or grub-mknetdir")
        return 77
    disk = images.image("linux", build=os.path.dirname(os.path.abspath(a.kernel)))
    work = tempfile.mkdtemp(prefix="vmxlab-realos-pxe-")
    try:
        tree = os.path.join(work, "tree")
        pxe.build_tree(tree, a.kernel, [], "", [(MAC, {"guest": "local-disk", "timeout": "0",
                                                       "cmdline": "guest.stop=3000"})], timeout=5, interface="br0")
        with open(os.path.join(work, "vnet.conf"), "w") as f:
            f.write("# vnet config\nbootfile = %s\n" % pxe.BOOTFILE)
        extra = ("pci: enabled=1, chipset=i440fx, slot1=e1000\n"
                 "e1000: enabled=1, mac=%s, ethmod=vnet, ethdev=%s, script=%s, bootrom=%s\n"
                 % (MAC, tree, os.path.join(work, "vnet.conf"), ROM))
        res = {}
        status, text, _ = emu.run(None, "bochs", timeout=a.timeout, workdir=work, bochs_extra=extra,
                                  boot="network", disk=disk, stall=a.stall, result=res)
        failures = []
        if status != 1:
            failures.append("status %s, expected 1 (guest.stop) (run ended: %s)" % (status, res["ended"]))
        pos = 0
        lines = text.splitlines()
        for pat in EXPECT:
            hits = [i for i, l in enumerate(lines) if re.search(pat, l) and i >= pos]
            if not hits:
                failures.append("no line matches %r (in order)" % pat)
            else:
                pos = hits[0]
        if failures:
            sys.stdout.write(text[-6000:])
            for f in failures:
                print("FAIL: " + f)
            return 1
        print("PASS: netbooted vmxlab chainloaded the local disk in %.0f s" % res["seconds"])
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""PXE boot of vmxlab in Bochs, with VMX: a guest runs under vmxlab after a network boot.

Builds the same netboot tree as the QEMU tests, then boots Bochs from an e1000 with Debian's
iPXE ROM and Bochs's built-in DHCP/TFTP ("ethmod=vnet": no packet leaves Bochs), as
docs/bochs.md ("Network boot") describes:
    pci: enabled=1, chipset=i440fx, slot1=e1000
    e1000: ..., ethmod=vnet, ethdev=TREE, script=vnet.conf, bootrom=.../pxe-e1000.rom
    boot: network
and asserts the banner, the guest's output under VMX and `vmxlab: halted status=0`.

    tests/boot/pxe_bochs.py --kernel build/vmxlab.elf --guest build/guests/hello.bin --status 0
"""
import os
import shutil
import subprocess
import sys
import time

import labboot as lb
from vmxlab_py import emu  # noqa: E402  (labboot put tools/ on the path)

ROM = "/usr/lib/ipxe/qemu/pxe-e1000.rom"


def main():
    a = lb.arg_parser(__doc__).parse_args()
    for what, path in (("kernel", a.kernel), ("guest", a.guest)):
        if not os.path.isfile(path):
            lb.fail("no %s at %s (build first: tools/vmxlab build)" % (what, path))
    if shutil.which("bochs") is None or not os.path.exists(ROM):
        lb.skip("bochs or the iPXE e1000 ROM (ipxe-qemu) is not installed")
    work, cleanup = lb.workdir(a, "pxe-bochs")
    proc = None
    try:
        tree = lb.make_tree(a, work)
        log = os.path.join(work, "serial.log")
        with open(os.path.join(work, "vnet.conf"), "w") as f:
            f.write("# vnet config\nbootfile = %s\n" % lb.pxe.BOOTFILE)
        rc = emu.bochsrc("none", log, os.path.join(work, "bochs.log"))
        rc = rc.replace('ata0-master: type=cdrom, path="none", status=inserted\n', "")
        rc = rc.replace("boot: cdrom", "boot: network")
        rc += ("pci: enabled=1, chipset=i440fx, slot1=e1000\n"
               "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=vnet, ethdev=%s, script=%s, bootrom=%s\n"
               % (tree, os.path.join(work, "vnet.conf"), ROM))
        with open(os.path.join(work, "bochsrc"), "w") as f:
            f.write(rc)
        with open(os.path.join(work, "cont.rc"), "w") as f:
            f.write("c\nquit\n")
        t0 = time.monotonic()
        with open(os.devnull, "w") as out:
            proc = subprocess.Popen(["bochs", "-q", "-f", "bochsrc", "-rc", "cont.rc"], cwd=work,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            done = lb.wait_status(log, proc, a.timeout)
        took = time.monotonic() - t0
        lb.stop(proc)
        if not done:
            lb.show_tail(log)
            lb.fail("no final status line within %.0f s" % a.timeout)
        text, boot, problems = lb.one_boot(log, a, "Bochs PXE boot", "bochs")
        if b"I vmx: entering the guest" not in text:
            problems.append("vmxlab never entered the guest")
        if b"hello from a real-mode guest (COM1)" not in text:
            problems.append("no output from the guest under VMX")
        if problems:
            lb.show_tail(log)
            lb.fail("; ".join(problems))
        print("PASS: Bochs PXE boot with VMX in %.1f s: %s" % (took, boot.outcome))
        return 0
    finally:
        lb.stop(proc)
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

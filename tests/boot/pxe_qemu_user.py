#!/usr/bin/env python3
"""PXE boot of vmxlab in QEMU (TCG) through QEMU's built-in DHCP/TFTP server.

Builds a netboot tree (GRUB core.0, grub.cfg, kernel, guest) with `vmxlab pxe`'s
code, boots QEMU with
    -netdev user,id=n0,restrict=on,tftp=TREE,bootfile=boot/grub/i386-pc/core.0
    -device e1000,netdev=n0 -boot n
(restrict=on: no packet leaves QEMU; DHCP and TFTP are QEMU's own), and asserts
the banner, "E vmx: VMX not supported" (TCG has no VMX) and the final status
line `vmxlab: halted status=3`.

    tests/boot/pxe_qemu_user.py --kernel build/vmxlab.elf --guest build/guests/hello.bin
"""

import os
import shutil
import subprocess
import sys
import time

import labboot as lb


def main():
    a = lb.arg_parser(__doc__).parse_args()
    lb.check_inputs(a)
    work, cleanup = lb.workdir(a, "pxe-user")
    proc = None
    try:
        tree = lb.make_tree(a, work)
        log = os.path.join(work, "serial.log")
        net = ("user,id=n0,restrict=on,tftp=%s,bootfile=%s" % (tree, lb.pxe.BOOTFILE))
        t0 = time.monotonic()
        with open(os.path.join(work, "qemu.log"), "w") as qlog:
            proc = subprocess.Popen(lb.qemu_cmd("file:" + log, net),
                                    stdout=qlog, stderr=subprocess.STDOUT)
            done = lb.wait_status(log, proc, a.timeout)
        took = time.monotonic() - t0
        lb.stop(proc)
        if not done:
            lb.show_tail(log)
            lb.fail("no final status line within %.0f s" % a.timeout)
        _, boot, problems = lb.one_boot(log, a, "PXE boot", "qemu")
        if problems:
            lb.show_tail(log)
            lb.fail("; ".join(problems))
        print("PASS: PXE boot through QEMU's TFTP in %.1f s: %s, %s"
              % (took, boot.outcome, boot.errors[0] if boot.errors else "no errors"))
        return 0
    finally:
        lb.stop(proc)
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

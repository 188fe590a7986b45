"""Shared pieces of the network-boot and capture tests (tests/boot/*.py).

Each test script takes the built kernel and guest as arguments, builds a
netboot tree with tools/vmxlab_py/pxe.py, boots QEMU (TCG: no VMX, so the
kernel must end with "VMX not supported" and status 3), and checks the serial
log with tools/vmxlab_py/logparse.py.  Exit status: 0 pass, 1 fail, 77 skip
(the CTest SKIP_RETURN_CODE convention).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from vmxlab_py import logparse, pxe  # noqa: E402

SKIP = 77
# What the kernel prints on a CPU without VMX (QEMU TCG): kernel/main.c, vmx/vmx_caps.c.
NO_VMX_ERROR = re.compile(r"^vmx: VMX not supported")
NO_VMX_STATUS = 3


def arg_parser(doc):
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--kernel", default=os.path.join(ROOT, "build", "vmxlab.elf"),
                   help="multiboot2 kernel (build/vmxlab.elf)")
    p.add_argument("--guest", default=os.path.join(ROOT, "build", "guests", "hello.bin"),
                   help="guest image (build/guests/hello.bin)")
    p.add_argument("--status", type=int, default=NO_VMX_STATUS,
                   help="expected final status (3: VMX not supported, as under TCG)")
    p.add_argument("--timeout", type=float, default=90, help="seconds per boot")
    p.add_argument("--keep", metavar="DIR", help="keep logs and the tree here")
    return p


def check_inputs(a):
    for what, path in (("kernel", a.kernel), ("guest", a.guest)):
        if not os.path.isfile(path):
            fail("no %s at %s (build first: tools/vmxlab build)" % (what, path))
    if shutil.which("qemu-system-x86_64") is None:
        skip("qemu-system-x86_64 not installed")
    if not os.path.exists("/usr/lib/ipxe/qemu/pxe-e1000.rom") and \
            not os.path.exists("/usr/share/qemu/pxe-e1000.rom"):
        skip("no iPXE ROM for e1000 (apt-get install ipxe-qemu)")


def guest_name(path):
    return os.path.splitext(os.path.basename(path))[0]


def make_tree(a, workdir, machines=()):
    tree = os.path.join(workdir, "tree")
    pxe.build_tree(tree, a.kernel, [(guest_name(a.guest), a.guest)], "",
                   machines, timeout=0, interface="br0")
    return tree


def workdir(a, name):
    if a.keep:
        d = os.path.abspath(a.keep)
        os.makedirs(d, exist_ok=True)
        return d, None
    d = tempfile.mkdtemp(prefix="vmxlab-%s-" % name)
    return d, d


def qemu_cmd(serial, net, mac=None, extra=()):
    """QEMU TCG booting from the network; -no-reboot, isa-debug-exit."""
    dev = "e1000,netdev=n0" + (",mac=" + mac if mac else "")
    return ["qemu-system-x86_64", "-accel", "tcg", "-m", "128", "-display", "none",
            "-monitor", "none", "-no-reboot", "-serial", serial, "-netdev", net,
            "-device", dev, "-boot", "n",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + list(extra)


def wait_status(path, proc, timeout):
    """Wait until the log at path holds a final status line (or QEMU exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as f:
                if re.search(rb"vmxlab: halted status=-?\d+", f.read()):
                    return True
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            time.sleep(0.2)         # the last bytes of the file
            with open(path, "rb") as f:
                return bool(re.search(rb"vmxlab: halted status=-?\d+", f.read()))
        time.sleep(0.1)
    return False


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def check_boot(boot, a, what):
    """Assert the facts of one parsed boot; returns a list of problems."""
    problems = []
    if not boot.banner:
        problems.append("%s: no banner 'vmxlab: start version=...'" % what)
    if boot.status != a.status:
        problems.append("%s: final status %s, want %d" % (what, boot.outcome, a.status))
    if a.status == NO_VMX_STATUS and not any(NO_VMX_ERROR.match(e) for e in boot.errors):
        problems.append("%s: no 'E vmx: VMX not supported' line (errors: %s)"
                        % (what, boot.errors))
    if "size" in boot.guest and int(boot.guest["size"]) != os.path.getsize(a.guest):
        problems.append("%s: guest size %s, file has %d bytes"
                        % (what, boot.guest["size"], os.path.getsize(a.guest)))
    return problems


def one_boot(log, a, what, machine):
    """Read a serial log that must hold exactly one boot; returns (text, boot, problems)
    with check_boot's problems (boot is None when the count is wrong)."""
    with open(log, "rb") as f:
        text = f.read()
    boots = logparse.parse_text(text, machine).boots
    if len(boots) != 1:
        return text, None, ["%s: want 1 boot in the serial log, found %d" % (what, len(boots))]
    return text, boots[0], check_boot(boots[0], a, what)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg, flush=True)
    sys.exit(SKIP)


def show_tail(path, n=25):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return
    print("--- last lines of %s ---" % path)
    for l in lines[-n:]:
        print("  " + logparse.decode_serial(l))

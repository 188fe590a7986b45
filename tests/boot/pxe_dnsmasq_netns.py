#!/usr/bin/env python3
"""PXE boot of vmxlab from a real dnsmasq (`vmxlab pxe-serve`) in a network namespace.

The test makes its own namespace vmxlab-pxe-<pid> with a bridge br0
(10.77.0.1/24, fd77::1/64) and a tap0 on it, runs `vmxlab pxe-serve TREE
--interface br0` inside (full mode: DHCP, TFTP, router advertisements,
iPXE option 175/176), boots QEMU (TCG) on tap0 with MAC 52:54:00:77:00:01,
for which the tree has a per-machine config grub.cfg-01-52-54-00-77-00-01
(kernel option log=debug), and asserts:
  - the banner, "E vmx: VMX not supported" and `vmxlab: halted status=3`;
  - the kernel's command line holds log=debug (the per-machine config was used);
  - dnsmasq's log: a DHCP lease and the TFTP transfers of core.0, the
    per-machine config, the kernel and the guest.
Everything it made (namespace, bridge, tap, processes) is removed at the end.
Skipped (exit 77) without CAP_NET_ADMIN or /dev/net/tun.  No traffic leaves
the namespace.

    tests/boot/pxe_dnsmasq_netns.py --kernel build/vmxlab.elf --guest build/guests/hello.bin
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import labboot as lb

MAC = "52:54:00:77:00:01"
CAP_NET_ADMIN = 12


def have_net_admin():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    return False


def sh(*cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stdout.strip()))


def main():
    a = lb.arg_parser(__doc__).parse_args()
    lb.check_inputs(a)
    if not have_net_admin():
        lb.skip("no CAP_NET_ADMIN: cannot make a network namespace (run as root)")
    if not os.path.exists("/dev/net/tun"):
        lb.skip("no /dev/net/tun: cannot make a tap device for QEMU")
    if shutil.which("ip") is None or lb.pxe.find_dnsmasq() is None:
        lb.skip("needs iproute2 and dnsmasq (apt-get install iproute2 dnsmasq-base)")

    ns = "vmxlab-pxe-%d" % os.getpid()
    work, cleanup = lb.workdir(a, "pxe-netns")
    os.chmod(work, 0o755)            # dnsmasq drops root: the tree must be readable
    serve = qemu = None
    try:
        tree = lb.make_tree(a, work, machines=[(MAC, {"cmdline": "log=debug"})])
        sh("ip", "netns", "add", ns)
        for cmd in (["link", "set", "lo", "up"],
                    ["link", "add", "br0", "type", "bridge"],
                    ["tuntap", "add", "dev", "tap0", "mode", "tap"],
                    ["link", "set", "tap0", "master", "br0"],
                    ["addr", "add", "10.77.0.1/24", "dev", "br0"],
                    ["-6", "addr", "add", "fd77::1/64", "dev", "br0", "nodad"],
                    ["link", "set", "tap0", "up"],
                    ["link", "set", "br0", "up"]):
            sh("ip", "-n", ns, *cmd)

        dlog = os.path.join(work, "dnsmasq.log")
        env = dict(os.environ, PYTHONPATH=os.path.join(lb.ROOT, "tools"))
        serve_out = open(os.path.join(work, "pxe-serve.out"), "w")
        serve = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", "vmxlab_py", "pxe-serve",
             tree, "--interface", "br0", "--log", dlog],
            env=env, stdout=serve_out, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(50):          # dnsmasq up: it logs "started"
            if os.path.exists(dlog) and "started" in open(dlog).read():
                break
            if serve.poll() is not None:
                serve_out.flush()
                lb.fail("pxe-serve exited %d: %s" % (serve.returncode,
                        open(os.path.join(work, "pxe-serve.out")).read()))
            time.sleep(0.1)
        else:
            lb.fail("dnsmasq did not start (see %s)" % dlog)

        log = os.path.join(work, "serial.log")
        t0 = time.monotonic()
        with open(os.path.join(work, "qemu.log"), "w") as qlog:
            qemu = subprocess.Popen(
                ["ip", "netns", "exec", ns] + lb.qemu_cmd(
                    "file:" + log, "tap,id=n0,ifname=tap0,script=no,downscript=no", MAC),
                stdout=qlog, stderr=subprocess.STDOUT)
            done = lb.wait_status(log, qemu, a.timeout)
        took = time.monotonic() - t0
        lb.stop(qemu)
        if not done:
            lb.show_tail(log)
            lb.show_tail(dlog)
            lb.fail("no final status line within %.0f s" % a.timeout)

        text, boot, problems = lb.one_boot(log, a, "dnsmasq PXE boot", "netns")
        if boot:  # the kernel echoes its command line
            if not re.search(rb"^\[ *\d+\] I boot: .*log=debug", text, re.M):
                problems.append("kernel did not get log=debug: grub.cfg-01-%s "
                                "was not used" % MAC.replace(":", "-"))
        with open(dlog) as f:
            dl = f.read()
        for what, rx in (("DHCP lease", r"DHCPACK\(br0\) 10\.77\.0\.\d+ " + MAC),
                         ("TFTP core.0", r"sent \S*/boot/grub/i386-pc/core\.0"),
                         ("TFTP per-machine config",
                          r"sent \S*/grub\.cfg-01-" + MAC.replace(":", "-")),
                         ("TFTP kernel", r"sent \S*/boot/vmxlab\.elf"),
                         ("TFTP guest", r"sent \S*/boot/guests/\S+\.bin")):
            if not re.search(rx, dl):
                problems.append("dnsmasq log has no %s (/%s/)" % (what, rx))
        if problems:
            lb.show_tail(log)
            lb.fail("; ".join(problems))
        print("PASS: PXE boot from dnsmasq in namespace %s in %.1f s: %s"
              % (ns, took, boot.outcome))
        return 0
    finally:
        lb.stop(qemu)
        if serve is not None and serve.poll() is None:
            os.killpg(serve.pid, signal.SIGTERM)
            try:
                serve.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

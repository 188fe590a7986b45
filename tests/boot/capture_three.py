#!/usr/bin/env python3
"""Capture the serial consoles of three QEMU machines PXE-booting vmxlab at once.

Three QEMUs (TCG) boot the same netboot tree through QEMU's built-in TFTP
(restrict=on: no packet leaves QEMU).  Their COM1s are TCP serial ports on
127.0.0.1, both ways `vmxlab capture` supports:
    pc1, pc2: -serial tcp:127.0.0.1:PORT,server=on,wait=off   (capture connects)
    pc3:      -serial tcp:127.0.0.1:PORT                       (capture listens)
`vmxlab capture ... --boots 1` runs as a separate process (the real CLI); the
test then checks one boot file per machine and `vmxlab capture --summary
--json`: outcome status=3 (TCG has no VMX), the VMX error, the guest line.

    tests/boot/capture_three.py --kernel build/vmxlab.elf --guest build/guests/hello.bin
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import labboot as lb


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    a = lb.arg_parser(__doc__).parse_args()
    lb.check_inputs(a)
    work, cleanup = lb.workdir(a, "capture3")
    env = dict(os.environ, PYTHONPATH=os.path.join(lb.ROOT, "tools"))
    vmxlab = [sys.executable, "-m", "vmxlab_py"]
    qemus, cap = [], None
    try:
        tree = lb.make_tree(a, work)
        logs = os.path.join(work, "logs")
        ports = {m: free_port() for m in ("pc1", "pc2", "pc3")}
        sources = ["pc1=tcp:127.0.0.1:%d" % ports["pc1"],
                   "pc2=tcp:127.0.0.1:%d" % ports["pc2"],
                   "pc3=listen:127.0.0.1:%d" % ports["pc3"]]
        serials = {"pc1": "tcp:127.0.0.1:%d,server=on,wait=off" % ports["pc1"],
                   "pc2": "tcp:127.0.0.1:%d,server=on,wait=off" % ports["pc2"],
                   "pc3": "tcp:127.0.0.1:%d" % ports["pc3"]}
        t0 = time.monotonic()
        cap_out = open(os.path.join(work, "capture.out"), "w")
        cap = subprocess.Popen(vmxlab + ["capture"] + sources +
                               ["--out", logs, "--boots", "1", "--duration", str(a.timeout)],
                               env=env, stdout=cap_out, stderr=subprocess.STDOUT)
        time.sleep(0.5)              # the listener for pc3 is up
        net = "user,id=n0,restrict=on,tftp=%s,bootfile=%s" % (tree, lb.pxe.BOOTFILE)
        for i, m in enumerate(("pc1", "pc2", "pc3")):
            qlog = open(os.path.join(work, "qemu-%s.log" % m), "w")
            qemus.append(subprocess.Popen(
                lb.qemu_cmd(serials[m], net, "52:54:00:77:01:%02x" % (i + 1)),
                stdout=qlog, stderr=subprocess.STDOUT))
        try:
            rc = cap.wait(a.timeout + 15)
        except subprocess.TimeoutExpired:
            lb.fail("capture did not stop (--duration %s)" % a.timeout)
        took = time.monotonic() - t0
        cap_out.close()
        with open(os.path.join(work, "capture.out")) as f:
            cap_text = f.read()
        if rc != 0:
            print(cap_text)
            for m in ports:
                lb.show_tail(os.path.join(logs, m + ".console.log"))
            lb.fail("capture exited %d (want 0: every machine finished 1 boot)" % rc)

        files = sorted(f for f in os.listdir(logs))
        want = sorted(["pc1-1.log", "pc1.console.log", "pc2-1.log", "pc2.console.log",
                       "pc3-1.log", "pc3.console.log"])
        problems = [] if files == want else ["log files %s, want %s" % (files, want)]
        p = subprocess.run(vmxlab + ["capture", "--summary", logs, "--json"], env=env,
                           stdout=subprocess.PIPE, universal_newlines=True)
        rows = json.loads(p.stdout)
        if [r["machine"] for r in rows] != ["pc1", "pc2", "pc3"]:
            problems.append("summary machines %s" % [r["machine"] for r in rows])
        for r in rows:
            what = "%s boot %s" % (r["machine"], r["boot"])
            if r["status"] != a.status:
                problems.append("%s: %s, want status=%d" % (what, r["outcome"], a.status))
            if not r["banner"]:
                problems.append("%s: no banner" % what)
            if a.status == lb.NO_VMX_STATUS and not any(
                    lb.NO_VMX_ERROR.match(e) for e in r["error_lines"]):
                problems.append("%s: no VMX-not-supported error" % what)
            if r["guest_info"].get("size") != str(os.path.getsize(a.guest)):
                problems.append("%s: guest line %s" % (what, r["guest_info"]))
        table = subprocess.run(vmxlab + ["capture", "--summary", logs], env=env,
                               stdout=subprocess.PIPE, universal_newlines=True).stdout
        print(table, end="")
        if problems:
            print(cap_text)
            lb.fail("; ".join(problems))
        print("PASS: captured 3 machines x 1 boot in %.1f s" % took)
        return 0
    finally:
        for q in qemus:
            lb.stop(q)
        lb.stop(cap)
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Boot test of the VGA status line: what a machine without a serial cable shows.

QEMU runs without isa-debug-exit and with -no-shutdown, so vmxlab's ACPI S5 power-off
(the real-hardware path) stops the machine but keeps the process and its memory. The
test waits for the monitor to report the shutdown (which also proves the ACPI path),
then dumps the text screen with `pmemsave 0xb8000 4000` and checks row 0.

  vgatest.py --kernel build/vmxlab.elf --guest build/guests/hello.bin --cmdline "" \
      --status 3 --row0 '^vmxlab: halted status=3 '
  vgatest.py ... --cmdline vga=off --status 3 --row0-reject vmxlab
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from vmxlab_py import emu, iso  # noqa: E402

COLS, ROWS = 80, 25


class Monitor:
    """The human monitor over a unix socket: send a line, read up to the next prompt."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.s.settimeout(10)
        self._read_prompt()

    def _read_prompt(self):
        data = b""
        while not data.endswith(b"(qemu) "):
            chunk = self.s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", "replace")

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        return self._read_prompt()


def screen_rows(dump):
    """Characters of each row (every other byte; the others are attributes)."""
    return ["".join(chr(dump[(r * COLS + c) * 2]) for c in range(COLS)) for r in range(ROWS)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--guest", default=None)
    p.add_argument("--cmdline", default="")
    p.add_argument("--status", type=int, required=True, help="expected status on the serial line")
    p.add_argument("--row0", action="append", default=[], help="regex that row 0 must match")
    p.add_argument("--row0-reject", action="append", default=[], help="regex that row 0 must not match")
    p.add_argument("--timeout", type=int, default=60)
    a = p.parse_args()

    work = tempfile.mkdtemp(prefix="vmxlab-vgatest-")
    failures = []
    proc = None
    try:
        image = iso.make_iso(os.path.join(work, "test.iso"), a.kernel, a.guest, a.cmdline, interactive=False)
        serial, sock = os.path.join(work, "serial.log"), os.path.join(work, "monitor.sock")
        cmd = ["qemu-system-x86_64", "-display", "none", "-accel", "tcg", "-m", "128", "-no-reboot", "-no-shutdown",
               "-serial", "file:" + serial, "-monitor", "unix:%s,server,nowait" % sock, "-cdrom", image]
        proc = subprocess.Popen(cmd, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)
        deadline = time.time() + a.timeout
        mon = Monitor(sock, deadline)
        state = ""
        while time.time() < deadline and proc.poll() is None:
            state = mon.cmd("info status")
            if "shutdown" in state:
                break
            time.sleep(0.2)
        with open(serial, "rb") as f:
            text = f.read().decode("utf-8", "replace").replace("\r", "")
        status = emu.final_status(text)
        if "shutdown" not in state:
            failures.append("QEMU never powered off through ACPI (monitor: %r)" % state.strip().splitlines()[-2:])
        if status != a.status:
            failures.append("serial status %s, expected %d" % (status, a.status))
        mon.cmd("pmemsave 0xb8000 %d vga.bin" % (COLS * ROWS * 2))  # relative to QEMU's cwd
        mon.cmd("quit")
        proc.wait(timeout=10)
        with open(os.path.join(work, "vga.bin"), "rb") as f:
            rows = screen_rows(f.read())
        row0 = rows[0].rstrip()
        for pat in a.row0:
            if not re.search(pat, row0):
                failures.append("row 0 does not match %r" % pat)
        for pat in a.row0_reject:
            if re.search(pat, row0):
                failures.append("row 0 matches rejected %r" % pat)
        if failures:
            sys.stdout.write(text[-4000:])
            print("--- screen ---\n" + "\n".join(r.rstrip() for r in rows))
            for f in failures:
                print("FAIL: " + f)
            return 1
        print("PASS: status %s, row 0: %r" % (status, row0))
        return 0
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

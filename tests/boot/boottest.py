#!/usr/bin/env python3
"""One boot test: build an ISO, boot it, assert on the serial log.

Every test ends on the kernel's status line (`vmxlab: halted status=N`): a run without it
fails, whatever else it printed. Expectations are regular expressions matched per line
(re.search, multiline); --expect-order checks that they appear in the given order.

--bare runs the same guest image without vmxlab, on bare Bochs with the same CPU model (a
floppy whose boot sector loads the guest to 0000:7C00, tools/vmxlab_py/bare.py): the run then
ends on the guest's own `guest: end status=N` line (guest.inc's power_off on bare metal)
instead of vmxlab's. A guest test's expectations (its PASS lines) come from this run.

  boottest.py --kernel build/vmxlab.elf --guest build/guests/hello.bin \
      --emulator bochs --cpu corei7_skylake_x --cmdline "log=debug" \
      --expect 'hello from a real-mode guest' --status 0
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from vmxlab_py import bare, emu, guestsrc, iso  # noqa: E402
from linecheck import check_lines  # noqa: E402


E820_RE = re.compile(r"e820: ([0-9a-f]{16})-([0-9a-f]{16}) type (\d+)")
TSC_RE = re.compile(r"^\[\s*(\d+)\] ")
HIDDEN_RE = re.compile(r"vmxlab's 0x([0-9a-f]+)-0x([0-9a-f]+) unmapped")


def check_e820(lines):
    """vmxlab's range (inclusive) against the guest's E820 listing."""
    hidden = [HIDDEN_RE.search(l) for l in lines]
    hidden = [(int(m.group(1), 16), int(m.group(2), 16)) for m in hidden if m]
    entries = [E820_RE.search(l) for l in lines]
    entries = [(int(m.group(1), 16), int(m.group(2), 16), int(m.group(3))) for m in entries if m]
    if not hidden:
        return ["--check-e820: no line names vmxlab's unmapped range"]
    if not entries:
        return ["--check-e820: the guest printed no 'e820:' entries"]
    lo, hi = hidden[0]
    out = []
    for b, e, t in entries:
        if t == 1 and b <= hi and lo <= e:
            out.append("--check-e820: usable entry 0x%x-0x%x overlaps vmxlab's 0x%x-0x%x" % (b, e, lo, hi))
    if not any(t != 1 and b <= lo and hi <= e for b, e, t in entries):
        out.append("--check-e820: no reserved entry covers vmxlab's 0x%x-0x%x" % (lo, hi))
    return out


def bare_end(pattern, emu_log, timeout):
    """--bare-end: Bochs logged a line matching pattern and then ended by itself (its
    "quit_sim called" line), so a run killed at the time limit never counts."""
    try:
        with open(emu_log, errors="replace") as f:
            log = f.read().splitlines()
    except OSError:
        return ["--bare-end: no Bochs log"]
    hits = [i for i, l in enumerate(log) if re.search(pattern, l)]
    if not hits:
        return ["--bare-end: no Bochs log line matches %r" % pattern]
    if not any("quit_sim called" in l for l in log[hits[0]:]):
        return ["--bare-end: Bochs did not end by itself after %r (killed after %d s?)" % (pattern, timeout)]
    return []


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--guest", default=None, help="guest image, or nasm source (.asm); omit for no guest module")
    p.add_argument("--second-guest", default=None, help="a second module named guest (vmxlab refuses it)")
    p.add_argument("--emulator", default="bochs", choices=["bochs", "qemu"])
    p.add_argument("--cpu", default="corei7_skylake_x")
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("--bios", default="bochs", choices=sorted(emu.BIOSES),
                   help="Bochs's system BIOS: its own (bochsbios) or SeaBIOS, QEMU's firmware")
    p.add_argument("--megs", type=int, default=128)
    p.add_argument("--cmdline", default="")
    p.add_argument("--expect", action="append", default=[], help="regex that must match a line")
    p.add_argument("--anywhere", action="append", default=[],
                   help="regex that must match a line, wherever it is (not part of --in-order)")
    p.add_argument("--reject", action="append", default=[], help="regex that must not match any line")
    p.add_argument("--count", action="append", default=[], help="REGEX=N: exactly N matching lines")
    p.add_argument("--in-order", action="store_true", help="--expect patterns must match in this order")
    p.add_argument("--check-e820", action="store_true",
                   help="the guest's printed E820 map ('e820: START-END type T', hex, END inclusive) must cover "
                        "vmxlab's memory (its 'vmxlab's 0xA-0xB unmapped' line) with a reserved entry and offer "
                        "none of it as usable (type 1)")
    p.add_argument("--bare", action="store_true",
                   help="boot the guest on bare Bochs (no vmxlab, --cmdline unused); the run ends on the guest's "
                        "'guest: end status=N' line")
    p.add_argument("--bare-end", default=None, metavar="REGEX",
                   help="with --bare, for a guest that resets or powers off the machine: the run ends on a Bochs "
                        "log line matching REGEX (Bochs ending by itself), not on 'guest: end status=N'")
    p.add_argument("--monotonic", action="store_true",
                   help="vmxlab's log timestamps ('[ TSC] ' at the start of a line) never decrease")
    p.add_argument("--status", type=int, default=0, help="expected final status")
    p.add_argument("--timeout", type=int, default=240)
    p.add_argument("--keep", default=None, help="copy the serial log here")
    a = p.parse_args()

    work = tempfile.mkdtemp(prefix="vmxlab-boottest-")
    failures = []
    try:
        if a.bare and (a.emulator != "bochs" or not a.guest):
            p.error("--bare needs --emulator bochs and a --guest")
        if a.bios != "bochs" and a.emulator != "bochs":
            p.error("--bios %s needs --emulator bochs (QEMU runs SeaBIOS)" % a.bios)
        if a.guest and guestsrc.is_source(a.guest):  # nasm source, as `vmxlab run --guest FILE.asm` takes it
            a.guest = guestsrc.resolve(a.guest, a.cmdline, workdir=work)
        if not a.bare:
            image = iso.make_iso(os.path.join(work, "test.iso"), a.kernel, a.guest, a.cmdline, interactive=False,
                                 second_guest=a.second_guest)
        if a.bare:  # emu.run runs Bochs again when its rfb display found no free port
            status, text, emu_log = bare.run(a.guest, a.cpu, a.cpus, a.megs, timeout=a.timeout, workdir=work,
                                             bios=a.bios)
        else:
            status, text, emu_log = emu.run(image, a.emulator, a.cpu, a.cpus, timeout=a.timeout, workdir=work,
                                            megs=a.megs, bios=a.bios)
        if a.keep:
            with open(a.keep, "w") as f:
                f.write(text)
        lines = text.splitlines()
        if a.bare_end:
            failures += bare_end(a.bare_end, emu_log, a.timeout)
        elif status is None:
            line = "guest: end status=N" if a.bare else "vmxlab: halted status=N"
            failures.append("no status line '%s' (killed after %d s or crashed)" % (line, a.timeout))
        elif status != a.status:
            failures.append("status %d, expected %d" % (status, a.status))
        failures += check_lines(lines, a.expect, a.anywhere, a.reject, a.count, a.in_order)
        if a.monotonic:
            stamps = [(int(m.group(1)), l) for l in lines for m in [TSC_RE.match(l)] if m]
            back = [(p, l) for (p, _), (t, l) in zip(stamps, stamps[1:]) if t < p]
            if not stamps:
                failures.append("--monotonic: no timestamped vmxlab line")
            elif back:
                failures.append("--monotonic: the timestamp runs backwards (from %d) at: %s" % back[0])
        if a.check_e820:
            failures += check_e820(lines)
        if failures:
            sys.stdout.write(text[-12000:])
            if a.emulator == "bochs" and os.path.exists(emu_log):
                with open(emu_log, errors="replace") as f:
                    tail = [l for l in f if " e[" in l or "PANIC" in l or "VMENTER" in l or "VMFAIL" in l]
                sys.stdout.write("--- bochs log (errors) ---\n" + "".join(tail[-30:]))
            for f in failures:
                print("FAIL: " + f)
            return 1
        print("PASS: status %s, %d expectations" % (status, len(a.expect) + len(a.anywhere) + len(a.reject) + len(a.count)))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

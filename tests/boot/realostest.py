#!/usr/bin/env python3
"""One real-OS boot test: a disk or floppy image from tools/vmxlab_py/images.py, booted in
Bochs under vmxlab (a GRUB ISO whose entry chainloads the drive's first sector) or bare
(--bare: the BIOS boots the drive itself; the reference every vmxlab run is compared with).

Under vmxlab the run must end on vmxlab's status line `vmxlab: halted status=N`. A bare run
has no such line: it must end as --bare-end says, judged from Bochs's own log (poweroff: the
ACPI soft power-off that ends Bochs; reset: a machine reset after the last serial line;
stopped: still running when the test stopped it, e.g. memtest86+).

Whatever the guest: a boot that prints nothing new for --stall seconds (wall time) is
stopped at once and fails with that reason, rather than costing the whole --timeout.

--screen REGEX asserts on the VGA text screen (for guests that write only there): read from
Bochs's debugger when the run is stopped (--stop-after seconds, or --stop-on a serial line),
or under vmxlab from its `screen.dump` lines (docs/real-guests.md).

  realostest.py --kernel build/vmxlab.elf --image linux --cmdline "log=info" \
      --expect '^vmxlab-realos: userland reached, cpus=1$' --status 0
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from vmxlab_py import emu, images, iso  # noqa: E402
from linecheck import check_lines  # noqa: E402

BARE_END = {
    # what bochs.log shows when the machine itself ended that way
    "poweroff": re.compile(r"ACPI control: soft power off"),
    "reset": re.compile(r"Reset\(HARDWARE\)|Reset\(SOFTWARE\)"),
}


SCREEN_LINE = re.compile(r" I screen: \|(.*)\|$")


def screen_from_log(lines):
    """vmxlab's screen.dump: `I screen: |ROW|` lines, 25 of them, the last dump wins."""
    rows = [m.group(1) for m in (SCREEN_LINE.search(l) for l in lines) if m]
    return rows[-25:] if len(rows) >= 25 else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--image", required=True, help="an images.py name (linux, linux-reboot, memtest, grub)")
    p.add_argument("--append", default="", help="extra Linux command-line words (experiments only)")
    p.add_argument("--bare", action="store_true", help="no vmxlab: the BIOS boots the image")
    p.add_argument("--bare-end", choices=("poweroff", "reset", "stopped"), default="poweroff")
    p.add_argument("--cpu", default="corei7_skylake_x")
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("--bios", default="bochs", choices=sorted(emu.BIOSES), help="Bochs's system BIOS")
    p.add_argument("--megs", type=int, default=128)
    p.add_argument("--cmdline", default="", help="vmxlab options")
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--count", action="append", default=[], help="REGEX=N")
    p.add_argument("--in-order", action="store_true")
    p.add_argument("--screen", action="append", default=[], help="regex that must match a row of the VGA screen")
    p.add_argument("--screen-reject", action="append", default=[])
    p.add_argument("--status", type=int, default=0, help="vmxlab's expected final status")
    p.add_argument("--stop-after", type=float, default=None,
                   help="stop once Bochs used this many seconds of CPU; read the screen")
    p.add_argument("--stop-on", default=None, help="stop this many --stop-delay seconds after a serial line matches")
    p.add_argument("--stop-delay", type=float, default=10)
    # Linux decompresses itself for 60-130 s of Bochs CPU without a line, depending on the host
    p.add_argument("--stall", type=float, default=200)
    p.add_argument("--timeout", type=int, default=1100)
    p.add_argument("--keep", default=None, help="copy the serial log here")
    p.add_argument("--workdir", default=None, help="run here and keep the files (bochsrc, bochs.log, ...)")
    a = p.parse_args()

    img = images.image(a.image, build=os.path.dirname(os.path.abspath(a.kernel)), append=a.append)
    kind = images.KIND[a.image]
    work = a.workdir or tempfile.mkdtemp(prefix="vmxlab-realos-")
    os.makedirs(work, exist_ok=True)
    failures = []
    try:
        media = {"disk": img} if kind == "disk" else {"floppy": img}
        if a.bare:
            cd, boot = None, kind
        else:
            cd, boot = os.path.join(work, "test.iso"), "cdrom"
            iso.make_iso(cd, a.kernel, "local-" + kind, a.cmdline, interactive=False)
        res = {}
        status, text, emu_log = emu.run(cd, "bochs", a.cpu, a.cpus, timeout=a.timeout, workdir=work,
                                        megs=a.megs, boot=boot, stall=a.stall, stop_on=a.stop_on,
                                        stop_delay=a.stop_delay, stop_after=a.stop_after, result=res, bios=a.bios,
                                        **media)
        if a.keep:
            with open(a.keep, "w") as f:
                f.write(text)
        lines = text.splitlines()
        blog = open(emu_log, errors="replace").read() if os.path.exists(emu_log) else ""
        ended = res["ended"]
        if ended == "stall":
            failures.append("stalled: no new serial output for %.0f s of Bochs CPU time (after %.0f s)"
                            % (a.stall, res["seconds"]))
        elif ended == "timeout":
            failures.append("time limit of %d s reached" % a.timeout)
        if a.bare:
            if status is not None:
                failures.append("a bare run printed vmxlab's status line?")
            if a.bare_end == "stopped":
                if ended != "stopped":
                    failures.append("the guest ended by itself (%s) before the test stopped it" % ended)
            elif ended not in ("exit", "stopped") or not BARE_END[a.bare_end].search(blog):
                failures.append("Bochs's log shows no %s (%r)" % (a.bare_end, BARE_END[a.bare_end].pattern))
        else:
            if status is None:
                failures.append("no status line 'vmxlab: halted status=N' (ended: %s)" % ended)
            elif status != a.status:
                failures.append("status %d, expected %d" % (status, a.status))
        failures += check_lines(lines, a.expect, (), a.reject, a.count, a.in_order)
        screen = res.get("vga") if a.bare else (screen_from_log(lines) or res.get("vga"))
        if a.screen or a.screen_reject:
            if not screen:
                failures.append("no VGA screen read (bare: stop the run; vmxlab: screen.dump=on)")
            else:
                for pat in a.screen:
                    if not any(re.search(pat, r) for r in screen):
                        failures.append("no screen row matches %r" % pat)
                for pat in a.screen_reject:
                    bad = [r for r in screen if re.search(pat, r)]
                    if bad:
                        failures.append("screen row matches rejected %r: %s" % (pat, bad[0]))
        if screen:
            print("--- VGA screen ---\n" + "\n".join(screen))
        print("--- %s run: %s after %.0f s ---" % ("bare" if a.bare else "vmxlab", ended, res["seconds"]))
        if failures:
            sys.stdout.write(text[-8000:])
            tail = [l for l in blog.splitlines(True) if " e[" in l or "PANIC" in l or "VMENTER" in l or
                    "VMFAIL" in l]
            sys.stdout.write("--- bochs log (errors) ---\n" + "".join(tail[-20:]))
            for f in failures:
                print("FAIL: " + f)
            return 1
        print("PASS: %s, %d expectations" % ("bare " + a.bare_end if a.bare else "status %d" % status,
                                             len(a.expect) + len(a.reject) + len(a.count) + len(a.screen)))
        return 0
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

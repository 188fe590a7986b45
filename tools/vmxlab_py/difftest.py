"""Differential testing: the same random guest programs on bare Bochs and under vmxlab.

`tools/vmxlab diff [--seeds N] [--start S] [--cpu MODEL]` (docs/testing.md, "Differential
testing"). Programs from tools/vmxlab_py/diffgen.py run back to back in one guest image (one
bare boot and one vmxlab boot per batch); each prints one `DIFF <seed> ...` line, and the two
runs' lines must be equal. A seed whose lines differ is printed as a unified diff, minimized
(blocks dropped while the lines still differ, all candidates of a round in one batch) and
written to tests/diff/kept/, which the `diff` ctest label runs as well.
"""
import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from . import bare, diffgen, emu, iso, paths

DIFF_DIR = os.path.join(paths.ROOT, "tests", "diff")
KEPT_DIR = os.path.join(DIFF_DIR, "kept")
INCLUDES = [os.path.join(paths.ROOT, "guest-images", "include"), DIFF_DIR]
LINE_RE = re.compile(r"^DIFF ([0-9a-f]{8}) (.*)$", re.M)
DONE_RE = re.compile(r"^DIFF done (\d+)\s*$", re.M)
MAX_IMAGE = 0xFFFF - 0x7C00 - 0x400   # real-mode code stays in segment 0 (guest.inc's org 0x7C00)


def assemble(programs, out, defines=()):
    """programs: nasm texts -> the guest image out; raises ValueError when it is too big."""
    src = out[:-4] + ".asm"
    with open(src, "w") as f:
        f.write(diffgen.guest_source(programs))
    cmd = ["nasm", "-f", "bin", "-o", out, src] + ["-I" + d + "/" for d in INCLUDES] + ["-D" + d for d in defines]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise RuntimeError("nasm failed on %s:\n%s" % (src, r.stdout[-3000:]))
    if os.path.getsize(out) > MAX_IMAGE:
        raise ValueError("guest image of %d bytes is larger than %d" % (os.path.getsize(out), MAX_IMAGE))
    return out


def dumps(text):
    """{seed: dump} from a serial log, and the count of the `DIFF done N` line (None: missing)."""
    got = {}
    for m in LINE_RE.finditer(text):
        got.setdefault(int(m.group(1), 16), m.group(2).strip())
    done = DONE_RE.search(text)
    return got, int(done.group(1)) if done else None


def run_pair(image, kernel, cpu, work, cmdline="", timeout=400, flip=None):
    """Boot image bare and under vmxlab; returns ({seed: bare dump}, {seed: vmxlab dump}, problems).
    flip (testing the test): change one bit of the vmxlab run's first dump before comparing."""
    problems = []
    wb, wv = os.path.join(work, "bare"), os.path.join(work, "vmxlab")
    os.makedirs(wb, exist_ok=True)
    os.makedirs(wv, exist_ok=True)
    img = bare.make_floppy(image, os.path.join(wb, "floppy.img"))
    extra = 'floppya: 1_44="%s", status=inserted\n' % os.path.abspath(img)
    st_b, text_b, log_b = emu.run(None, "bochs", cpu, 1, timeout=timeout, workdir=wb, megs=128,
                                     bochs_extra=extra, boot="floppy", stall=60)
    st_b = bare.final_status(text_b)
    isofile = iso.make_iso(os.path.join(wv, "diff.iso"), kernel, image, cmdline, interactive=False)
    st_v, text_v, log_v = emu.run(isofile, "bochs", cpu, 1, timeout=timeout, workdir=wv, megs=128, stall=60)
    d_b, n_b = dumps(text_b)
    d_v, n_v = dumps(text_v)
    if st_b != 0 or n_b is None:
        problems.append("bare run: no 'DIFF done' line and 'guest: end status=0' (status %s; see %s)" % (st_b, log_b))
    if st_v != 0 or n_v is None:
        tail = [l for l in text_v.splitlines() if re.search(r" [EW] |halted", l)][-8:]
        problems.append("vmxlab run: no 'DIFF done' line and 'vmxlab: halted status=0' (status %s):\n    %s" %
                        (st_v, "\n    ".join(tail)))
    if flip is not None and d_v:
        seed = sorted(d_v)[0]
        line = d_v[seed]
        i = line.index("ebx=") + 4 + 7           # the last hex digit of EBX
        d_v[seed] = line[:i] + "%x" % (int(line[i], 16) ^ 1) + line[i + 1:]
    return d_b, d_v, problems


def compare(seeds, d_b, d_v):
    """[(seed, unified diff text)] for every seed whose dumps differ or are missing."""
    out = []
    for s in seeds:
        a, b = d_b.get(s), d_v.get(s)
        if a is not None and a == b:
            continue
        la = (a or "(no dump)").split(" ")
        lb = (b or "(no dump)").split(" ")
        text = "\n".join(difflib.unified_diff(la, lb, "bare", "vmxlab", lineterm="", n=30))
        out.append((s, text))
    return out


def batches(items, make_text):
    """Split items into batches whose guest image fits (estimated by the text's size)."""
    cur, size, out = [], 0, []
    for it in items:
        t = make_text(it)
        est = len(t) // 4          # nasm text -> bytes, roughly (checked again when assembling)
        if cur and size + est > MAX_IMAGE - 3000:
            out.append(cur)
            cur, size = [], 0
        cur.append((it, t))
        size += est
    if cur:
        out.append(cur)
    return out


def run_programs(named, kernel, cpu, work, cmdline="", flip=None, verbose=True):
    """named: [(seed, nasm text)] -> (divergences [(seed, diff)], problems). Runs in batches."""
    divergent, problems = [], []
    for n, batch in enumerate(batches(named, lambda it: it[1])):
        bw = os.path.join(work, "batch%d" % n)
        os.makedirs(bw, exist_ok=True)
        seeds = [s for (s, _), _ in batch]
        image = assemble([t for _, t in batch], os.path.join(bw, "diff.bin"))
        t0 = time.time()
        d_b, d_v, probs = run_pair(image, kernel, cpu, bw, cmdline, flip=flip if n == 0 else None)
        problems += probs
        div = compare(seeds + [diffgen.ENTRY_ID], d_b, d_v)
        divergent += div
        if verbose:
            print("diff: %s batch %d: seeds %d..%d (%d programs and the entry state, %d bytes): %d equal, %d differ "
                  "(%.0f s)" % (
                cpu, n, seeds[0], seeds[-1], len(seeds), os.path.getsize(image), len(seeds) + 1 - len(div), len(div),
                time.time() - t0), flush=True)
    return divergent, problems


def minimize(seed, kernel, cpu, work, cmdline=""):
    """Drop blocks of seed's program while it still diverges; all the candidates of a round
    (each with one more block dropped) run in one batch. Returns (drop set, program text)."""
    kinds, _ = diffgen.program(seed)
    drop = set()
    changed = True
    rnd = 0
    while changed:
        changed = False
        cands = [i for i in range(len(kinds)) if i not in drop]
        named = []
        for k, i in enumerate(cands):
            # each candidate prints its own "seed" (the program's id): seed * 1000 + k + 1
            text = diffgen.Program(seed, "m%d_%d" % (rnd, k), drop | {i}).generate()[1]
            named.append((seed * 1000 + k + 1, text.replace("[cs:rt_seed], 0x%x" % seed,
                                                                "[cs:rt_seed], 0x%x" % (seed * 1000 + k + 1))))
        if not named:
            break
        div, _ = run_programs(named, kernel, cpu, os.path.join(work, "min%d" % rnd), cmdline, verbose=False)
        still = {s for s, _ in div}
        for k, i in enumerate(cands):
            if seed * 1000 + k + 1 in still:
                drop.add(i)
                changed = True
                print("diff: seed %d still diverges without block %d (%s)" % (seed, i, kinds[i]), flush=True)
                break
        rnd += 1
    return drop, diffgen.program(seed, drop)[1]


def keep(seed, drop, text, diff_text, cpu):
    os.makedirs(KEPT_DIR, exist_ok=True)
    path = os.path.join(KEPT_DIR, "seed-%d.asm" % seed)
    head = ["; A divergence found by `tools/vmxlab diff` on %s, minimized: seed %d without blocks %s." % (
        cpu, seed, sorted(drop) or "none"), "; The whole program's dumps differed:"]
    head += ["; " + l for l in diff_text.splitlines()]
    with open(path, "w") as f:
        f.write("\n".join(head) + "\n" + text)
    return path


def kept_programs():
    """[(seed, text)] of tests/diff/kept/*.asm (labels made unique per file)."""
    out = []
    if not os.path.isdir(KEPT_DIR):
        return out
    for name in sorted(os.listdir(KEPT_DIR)):
        m = re.match(r"seed-(\d+)\.asm$", name)
        if m:
            with open(os.path.join(KEPT_DIR, name)) as f:
                out.append((int(m.group(1)), f.read()))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="vmxlab diff", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=40, help="how many seeds (default 40)")
    p.add_argument("--start", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--cpu", default="corei7_skylake_x", help="Bochs CPU model: " + ", ".join(emu.BOCHS_CPUS))
    p.add_argument("--cmdline", default="", help="vmxlab options, e.g. apic=decode")
    p.add_argument("--kept", action="store_true", help="run the programs of tests/diff/kept/ instead of seeds")
    p.add_argument("--no-minimize", action="store_true", help="report divergences without minimizing or keeping")
    p.add_argument("--kernel", default=None, help="vmxlab.elf (default: the build's)")
    p.add_argument("--flip", action="store_true",
                   help="testing the test: flip one bit of the vmxlab run's first dump (the run must fail)")
    p.add_argument("--keep-dir", default=None, help="keep the work directory here (default: a temporary one)")
    a = p.parse_args(argv)
    return run(a)


def run(a):
    if a.cpu not in emu.BOCHS_CPUS:
        print("vmxlab diff: unknown --cpu %r (one of %s)" % (a.cpu, ", ".join(emu.BOCHS_CPUS)), file=sys.stderr)
        return 2
    if a.seeds < 1 or a.start < 0:
        print("vmxlab diff: --seeds must be at least 1 and --start not negative", file=sys.stderr)
        return 2
    kernel = a.kernel or paths.kernel_elf()
    if not os.path.exists(kernel):
        print("vmxlab diff: no kernel %s (build first)" % kernel, file=sys.stderr)
        return 2
    work = a.keep_dir or tempfile.mkdtemp(prefix="vmxlab-diff-")
    try:
        if a.kept:
            named = kept_programs()
            if not named:
                print("diff: no programs in %s" % KEPT_DIR)
                return 0
        else:
            named = [(s, diffgen.program(s)[1]) for s in range(a.start, a.start + a.seeds)]
        div, problems = run_programs(named, kernel, a.cpu, work, a.cmdline, flip=0 if a.flip else None)
        for prob in problems:
            print("FAIL: " + prob)
        for seed, text in div:
            if seed == diffgen.ENTRY_ID:
                print("FAIL: the entry state (CR0, CR4, EFLAGS.IF/DF at the guest's first instruction) differs\n%s" % text)
                continue
            print("FAIL: seed %d: the dumps differ\n%s" % (seed, text))
            if a.kept or a.no_minimize or a.flip:
                continue
            drop, prog = minimize(seed, kernel, a.cpu, work, a.cmdline)
            path = keep(seed, drop, prog, text, a.cpu)
            print("diff: seed %d minimized (%d blocks dropped), kept in %s" % (seed, len(drop), path))
        if problems or div:
            return 1
        print("PASS: %d programs, bare and vmxlab dumps equal (%s)" % (len(named), a.cpu))
        return 0
    finally:
        if not a.keep_dir:
            shutil.rmtree(work, ignore_errors=True)


def cmd_diff(a):
    from . import build as buildmod, deps
    if deps.ensure(quiet=True) or buildmod.build(quiet=True):
        return 1
    return run(a)


def register(sub):
    s = sub.add_parser("diff", help="differential testing: random guest programs, bare Bochs vs vmxlab "
                                    "(docs/testing.md)")
    s.add_argument("--seeds", type=int, default=40, help="how many seeds (default 40)")
    s.add_argument("--start", type=int, default=1, help="first seed (default 1)")
    s.add_argument("--cpu", default="corei7_skylake_x", help="Bochs CPU model: " + ", ".join(emu.BOCHS_CPUS))
    s.add_argument("--cmdline", default="", help="vmxlab options, e.g. apic=decode")
    s.add_argument("--kept", action="store_true", help="run the programs of tests/diff/kept/")
    s.add_argument("--no-minimize", action="store_true", help="report divergences without minimizing or keeping")
    s.add_argument("--kernel", default=None, help=argparse.SUPPRESS)
    s.add_argument("--flip", action="store_true", help="flip one bit of the vmxlab run's first dump (must fail)")
    s.add_argument("--keep-dir", default=None, help="keep the work directory here")
    s.set_defaults(fn=cmd_diff)


if __name__ == "__main__":
    sys.exit(main())

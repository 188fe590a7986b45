#!/usr/bin/env python3
"""Run one libFuzzer target for a bounded time (ctest -L fuzz; docs/testing.md, "Fuzzing").

1. Replay every committed seed (corpus/NAME) and kept crash input (regressions/NAME) once:
   each must pass the target's property checks.
2. Fuzz for --time seconds (the environment variable VMXLAB_FUZZ_SECONDS overrides it),
   starting from the work corpus in the build tree plus the seeds; new inputs go to the
   work corpus only, never into the source tree.

Exit 0 when both pass; 1 on a crash, a leak, a sanitizer report, a broken property or a
hang (libFuzzer's -timeout), with the saved input's path and the commands to reproduce it
and to keep it as a regression.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REPORT = re.compile(r"^(==\d+==ERROR|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer|.*runtime error:|"
                    r"fuzz property failed|ERROR: libFuzzer)", re.M)


def files(d):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if not f.startswith(".") and f != "README.md")


def rel(p):
    return os.path.relpath(p, ROOT) if p.startswith(ROOT) else p


def tail(text, n=40):
    return "\n".join(text.splitlines()[-n:])


def run(cmd, limit):
    """The finished process, or None after `limit` seconds (the fuzzer is killed, so no
    fuzzer outlives the test; ctest's own TIMEOUT is only a backstop)."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", help="the fuzz target binary (build/tests/fuzz/fuzz_NAME)")
    ap.add_argument("--time", type=int, default=30, help="seconds of fuzzing (env VMXLAB_FUZZ_SECONDS wins)")
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--regressions", required=True)
    ap.add_argument("--work", required=True, help="work directory: corpus/ and artifacts/")
    a = ap.parse_args()

    seconds = a.time
    env_time = os.environ.get("VMXLAB_FUZZ_SECONDS")
    if env_time:
        if not env_time.isdigit() or int(env_time) < 1:
            print("run_fuzz: VMXLAB_FUZZ_SECONDS=%r is not a positive number of seconds" % env_time)
            return 2
        seconds = int(env_time)
    name = os.path.basename(a.target).replace("fuzz_", "", 1)
    if not os.access(a.target, os.X_OK):
        print("run_fuzz: %s is not built (cmake --build build)" % a.target)
        return 1
    seeds = files(a.seeds)
    if not seeds:
        print("run_fuzz: no seed inputs in %s" % rel(a.seeds))
        return 1
    corpus = os.path.join(a.work, "corpus")
    artifacts = os.path.join(a.work, "artifacts") + os.sep
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    opts = ["-artifact_prefix=" + artifacts, "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"]

    kept = files(a.regressions)
    r = run([a.target] + opts + seeds + kept, 300)
    if r is None:
        print("FAIL fuzz.%s: replaying the committed inputs took over 300 s" % name)
        return 1
    out = r.stdout + r.stderr
    if r.returncode != 0 or REPORT.search(out):
        print(tail(out))
        print("FAIL fuzz.%s: a committed input fails (replayed %d seeds, %d regressions, exit %d)"
              % (name, len(seeds), len(kept), r.returncode))
        return 1
    print("fuzz.%s: %d seeds and %d regression inputs replayed clean" % (name, len(seeds), len(kept)))

    before = set(os.listdir(artifacts))
    dirs = [corpus, a.seeds] + ([a.regressions] if kept else [])
    cmd = [a.target] + opts + ["-max_total_time=%d" % seconds] + dirs
    r = run(cmd, seconds + 120)
    if r is None:
        print("FAIL fuzz.%s: still running %d s after its %d s (libFuzzer's -max_total_time)"
              % (name, 120, seconds))
        return 1
    out = r.stdout + r.stderr
    new = sorted(set(os.listdir(artifacts)) - before)
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", out, re.M))
    if r.returncode != 0 or REPORT.search(out) or new:
        print(tail(out, 60))
        print("FAIL fuzz.%s after %s runs (exit %d)" % (name, stats.get("number_of_executed_units", "?"),
                                                         r.returncode))
        for f in new:
            p = os.path.join(artifacts, f)
            print("  input saved: %s" % p)
            print("  reproduce:   %s %s" % (a.target, p))
            print("  keep it:     cp %s %s/" % (p, rel(a.regressions)))
        return 1
    if "number_of_executed_units" not in stats:
        print(tail(out))
        print("FAIL fuzz.%s: libFuzzer printed no final statistics" % name)
        return 1
    cov = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", out)
    print("fuzz.%s: %s runs in %d s, no failure%s" % (
        name, stats["number_of_executed_units"], seconds,
        ", coverage %s features %s corpus %s" % cov[-1] if cov else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

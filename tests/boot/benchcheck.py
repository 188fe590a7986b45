#!/usr/bin/env python3
"""Run `vmxlab bench --quick` and check that the table and the JSON have every figure: each
row a number or n/a with a reason. The figures themselves are reported, not tested."""
import argparse
import json
import subprocess
import sys

FIGURES = ("cpuid_exit", "vmcall_exit", "apic_tpr_write", "apic_lvt_write", "self_init", "zero_exits", "boot",
           "resident")
PATHS = ("apicv", "decode")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vmxlab", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    r = subprocess.run([sys.executable, a.vmxlab, "bench", "--quick", "--out", a.out], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    fails = []
    if r.returncode:
        fails.append("bench exited with %d" % r.returncode)
    if "figure" not in r.stdout or "difference" not in r.stdout or "target" not in r.stdout:
        fails.append("no table header in the output")
    try:
        with open(a.out) as f:
            rows = json.load(f)["figures"]
    except (OSError, ValueError, KeyError) as e:
        rows = []
        fails.append("no JSON: %s" % e)
    for fid in FIGURES:
        for path in PATHS:
            got = [x for x in rows if x["id"] == fid and x["path"].startswith(path)]
            if fid in ("boot", "resident") and path == "decode":
                got = got or [x for x in rows if x["id"] == fid]
            if not got:
                fails.append("figure %s (%s) missing" % (fid, path))
                continue
            for x in got:
                if x["vmxlab"] is None and "n/a" not in x["note"]:
                    fails.append("figure %s (%s): no number and no n/a reason" % (fid, x["path"]))
                if x["figure"] not in r.stdout:
                    fails.append("figure %s not in the table" % fid)
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

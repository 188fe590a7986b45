#!/usr/bin/env python3
"""Run `vmxlab bench --quick` and check that the table and the JSON have every figure (each row
a number or n/a with a reason, and its target), and that no figure is worse than its ceiling:
issue 11's table (tools/vmxlab_py/bench.py TARGETS). A regression check, not exact values: a
figure may miss its target and pass. --json FILE checks an existing JSON without running bench."""
import argparse
import json
import subprocess
import sys

FIGURES = ("cpuid_exit", "vmcall_exit", "apic_tpr_write", "apic_tpr_class", "apic_lvt_write", "self_init", "ap_init", "zero_exits",
           "boot", "resident", "resident_smp")
PATHS = ("apicv", "decode")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vmxlab")
    p.add_argument("--out")
    p.add_argument("--json", help="check this JSON (no bench run, no table check)")
    a = p.parse_args()
    fails = []
    if a.json:
        a.out, stdout = a.json, None
    else:
        if not a.vmxlab or not a.out:
            p.error("--vmxlab and --out (or --json)")
        r = subprocess.run([sys.executable, a.vmxlab, "bench", "--quick", "--out", a.out], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        stdout = r.stdout
        print(stdout)
        if r.returncode:
            fails.append("bench exited with %d" % r.returncode)
        if "figure" not in stdout or "difference" not in stdout or "target" not in stdout:
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
            if fid in ("boot", "resident", "resident_smp") and path == "decode":
                got = got or [x for x in rows if x["id"] == fid]
            if not got:
                fails.append("figure %s (%s) missing" % (fid, path))
                continue
            for x in got:
                if x["vmxlab"] is None and "n/a" not in x["note"]:
                    fails.append("figure %s (%s): no number and no n/a reason" % (fid, x["path"]))
                if stdout is not None and x["figure"] not in stdout:
                    fails.append("figure %s not in the table" % fid)
                if "ceiling" not in x or "target_value" not in x:
                    fails.append("figure %s (%s): no target and ceiling in the JSON" % (fid, x["path"]))
                    continue
                value = x["difference"] if x.get("compare") == "difference" else x["vmxlab"]
                if x["ceiling"] is not None and value is not None:
                    verdict = "worse than" if value > x["ceiling"] else "within"
                    print("%s %s (%s): %s %s, ceiling %s, target %s" % ("FAIL" if value > x["ceiling"] else "ok",
                          fid, x["path"], x.get("compare"), value, x["ceiling"], x["target_value"]))
                    if value > x["ceiling"]:
                        fails.append("figure %s (%s): %s %d is %s its ceiling %d (issue 11's table)" %
                                     (fid, x["path"], x["compare"], value, verdict, x["ceiling"]))
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

"""Exercises (docs/exercises/): each has a check, a boot of vmxlab with a check guest
(exercises/NN-name/*.asm) and the lines its log must show. The check fails on the untouched tree
and passes once the exercise is done; docs/exercises/solutions/NN.patch is a reference solution.

  vmxlab exercise --list          the exercises
  vmxlab exercise N               build this tree and run exercise N's check on it
  vmxlab exercise N --solution    copy this tree, apply the reference solution, build, check
  vmxlab exercise N --untouched   the check must fail on this tree as it is (ctest)
"""
import os
import shutil
import subprocess
import sys
import tempfile

from . import emu, guestsrc, iso, paths

sys.path.insert(0, os.path.join(paths.ROOT, "tests", "boot"))
from linecheck import check_lines  # noqa: E402


class Exercise:
    def __init__(self, num, name, title, guest, expect, reject=(), count=(), status=0, cmdline="apic=decode",
                 cpu="corei7_skylake_x"):
        self.num, self.name, self.title, self.guest = num, name, title, guest
        self.expect, self.reject, self.count = list(expect), list(reject), list(count)
        self.status, self.cmdline, self.cpu = status, cmdline, cpu

    @property
    def slug(self):
        return "%02d-%s" % (self.num, self.name)

    def doc(self):
        return os.path.join("docs", "exercises", self.slug + ".md")

    def patch(self, root=paths.ROOT):
        return os.path.join(root, "docs", "exercises", "solutions", "%02d.patch" % self.num)


# Easy to hard. Each check's guest is in exercises/NN-name/; expect/reject/count as in boottest.py.
EXERCISES = [
    Exercise(1, "cpuid-leaf", "a CPUID leaf of your own (vmx/cpuid.c)", "exercises/01-cpuid-leaf/check.asm",
             expect=[r"^CPUID\.40000000h:EAX .* = 40000001 ok$", r"^CPUID\.40000001h:EAX .* = 00000000 ok$",
                     r"^CPUID\.40000001h:EBX, second minus first .* = 00000001 ok$", r"^RESULT: PASS$"]),
    Exercise(2, "hypercall", "a hypercall: VCPU_INFO (vmx/exit_basic.c, docs/hypercalls.md)",
             "exercises/02-hypercall/check.asm",
             expect=[r"^VMCALL 4 VCPU_INFO: EAX \(0 = ok\) = 00000000 ok$", r"^PASS: VMCALL 4 VCPU_INFO: EDX",
                     r"^RESULT: PASS$"],
             reject=[r"unknown hypercall function 4"]),
    Exercise(3, "nmi-self", "a guest that sends itself an NMI (exercises/03-nmi-self/nmi_self.asm)",
             "exercises/03-nmi-self/nmi_self.asm",
             expect=[r"^PASS: the NMI arrived$", r"^RESULT: PASS$"]),
    Exercise(4, "bios-calls", "count the BIOS memory calls a guest makes and report them (vmx/biosmem.c)",
             "exercises/04-bios-calls/check.asm",
             expect=[r"^bios: made 3 E820h, 1 E801h and 2 AH=88h calls$", r"^RESULT: PASS$",
                     r" I bios: vcpu0: INT 15h memory calls answered: E820h=3 E801h=1 88h=2$"],
             count=[r" I bios: vcpu0: INT 15h memory calls answered=1"]),
    Exercise(5, "slow-time", "trap RDTSC and slow the guest's time down (vmx/tsc.c)", "exercises/05-slow-time/check.asm",
             expect=[r"^PASS: RDTSC runs at half the speed of IA32_TIME_STAMP_COUNTER$", r"^RESULT: PASS$",
                     r'I stats: exit reason=16 name="RDTSC" count=3$']),
    Exercise(6, "ept-readonly", "an EPT page made read-only, and its exit explained (vmx/exit_ept.c)",
             "exercises/06-ept-readonly/check.asm",
             expect=[r" I ept: guest-physical page 0x80000 mapped read-only: its first write will exit$",
                     r" I ept: vcpu0: first write to read-only page 0x80000: GPA 0x80010 at 0000:[0-9a-f]{4}, "
                     r"qualification 0x[0-9a-f]+ \(W access; entry r-x\): the page is writable now, the write runs "
                     r"again$",
                     r"^first write to 0x80010 = 12345678 ok$", r"^second write to 0x80020 = 9abcdef0 ok$",
                     r"^RESULT: PASS$", r'I stats: exit reason=48 name="EPT violation" count=1$'],
             count=[r" I ept: vcpu0: first write to read-only page=1"]),
]


def find(num):
    for e in EXERCISES:
        if e.num == num:
            return e
    raise KeyError(num)


def run_check(ex, root, build_dir, timeout=240):
    """Boot exercise ex's check with root's guest source and build_dir's kernel. Returns
    (completed, failures): completed when vmxlab printed its status line."""
    work = tempfile.mkdtemp(prefix="vmxlab-exercise-")
    try:
        guest = guestsrc.assemble(os.path.join(root, ex.guest), os.path.join(work, "guest.bin"),
                                  include=os.path.join(root, "guest-images", "include"))
        image = iso.make_iso(os.path.join(work, "check.iso"), os.path.join(build_dir, "vmxlab.elf"), guest,
                             ex.cmdline, interactive=False)
        status, text, emu_log = emu.run(image, "bochs", ex.cpu, 1, timeout=timeout, workdir=work)
        lines = text.splitlines()
        if status is None:
            return False, ["no status line 'vmxlab: halted status=N' (killed after %d s or crashed)" % timeout], text
        failures = [] if status == ex.status else ["status %d, expected %d" % (status, ex.status)]
        failures += check_lines(lines, ex.expect, (), ex.reject, ex.count, False)
        return True, failures, text
    except guestsrc.BadGuest as e:
        return False, [str(e)], ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def solution_tree(ex, root, dest):
    """A copy of root (without .git, build*/, out/) with ex's reference solution applied and
    its kernel built in dest/build. Returns None, or one line saying what failed."""
    def skip(d, names):  # not the history, the build trees at the top or run output
        return [n for n in names if n in (".git", "out") or (n.startswith("build") and os.path.samefile(d, root))]
    shutil.copytree(root, dest, ignore=skip, symlinks=True)
    r = subprocess.run(["git", "apply", "--verbose", ex.patch(root)], cwd=dest, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        return "the solution %s does not apply: %s" % (ex.patch(root), r.stdout.strip().replace("\n", "; "))
    b = os.path.join(dest, "build")
    for args in (["cmake", "-S", dest, "-B", b, "-DCMAKE_BUILD_TYPE=Release"],
                 ["cmake", "--build", b, "--target", "vmxlab.elf", "-j", "2"]):
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode:
            return "%s failed:\n%s" % (" ".join(args[:2]), r.stdout[-4000:])
    return None


def report(ex, completed, failures, text, want_pass, out=sys.stdout):
    if failures and (want_pass or not completed):
        out.write(text[-8000:])
    verdict = "PASS" if completed and not failures else "FAIL"
    print("exercise %02d %s: check %s" % (ex.num, ex.name, verdict), file=out)
    for f in failures:
        print("  " + f, file=out)


def cmd_exercise(a):
    if a.list or a.num is None:
        for e in EXERCISES:
            print("%2d  %-13s %s  (%s)" % (e.num, e.name, e.title, e.doc()))
        return 0 if a.list else 2
    try:
        ex = find(a.num)
    except KeyError:
        print("vmxlab: no exercise %d (vmxlab exercise --list)" % a.num, file=sys.stderr)
        return 2
    root = os.path.abspath(a.root or paths.ROOT)
    if a.solution:
        dest = tempfile.mkdtemp(prefix="vmxlab-solution-%02d-" % ex.num)
        try:
            tree = os.path.join(dest, "tree")
            err = solution_tree(ex, root, tree)
            if err:
                print("exercise %02d: %s" % (ex.num, err))
                return 1
            completed, failures, text = run_check(ex, tree, os.path.join(tree, "build"), a.timeout)
        finally:
            shutil.rmtree(dest, ignore_errors=True)
        report(ex, completed, failures, text, True)
        return 0 if completed and not failures else 1
    build_dir = os.path.abspath(a.build_dir or paths.BUILD)
    if not a.no_build:
        from . import build as buildmod, deps
        if deps.ensure(quiet=True) or buildmod.build(build_dir, quiet=True):
            return 1
    completed, failures, text = run_check(ex, root, build_dir, a.timeout)
    report(ex, completed, failures, text, not a.untouched)
    if a.untouched:  # the check must fail, on its own terms: the boot completed, an expectation missed
        if completed and failures:
            print("exercise %02d: the check fails on the untouched tree, as it must" % ex.num)
            return 0
        print("exercise %02d: %s" % (ex.num, "the check PASSES on the untouched tree: it can't tell the exercise "
                                     "was done" if completed else "the check's boot did not complete"))
        return 1
    if completed and not failures:
        print("exercise %02d done: the check passes (%s)" % (ex.num, ex.doc()))
        return 0
    return 1


def register(sub):
    s = sub.add_parser("exercise", help="run an exercise's check on this tree (docs/exercises/); --list")
    s.add_argument("num", type=int, nargs="?", help="exercise number")
    s.add_argument("--list", action="store_true", help="list the exercises")
    s.add_argument("--solution", action="store_true",
                   help="check the reference solution: a copy of the tree with docs/exercises/solutions/NN.patch")
    s.add_argument("--untouched", action="store_true", help="succeed only if the check fails on this tree (ctest)")
    s.add_argument("--no-build", action="store_true", help="use the kernel already built")
    s.add_argument("--build-dir", default=None)
    s.add_argument("--root", default=None, help="source tree (default: this one)")
    s.add_argument("--timeout", type=int, default=240, help="seconds before a check's boot is stopped")
    s.set_defaults(fn=cmd_exercise)

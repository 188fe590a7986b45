"""The INIT path's line budget (issue 12): a guest's self-INIT, from the ICR write to the VM
entry at its restart point, reads in under 300 lines of function bodies, straight down the
layers. PATH lists the functions file by file, in the order the path runs through them
(docs/apic-init.md, "The path in three files", is the same list), CALLS what it calls in
other files; both count in the budget. The tables they apply,
Table 10-3 (apic/icr.c) and Table 9-1 (vmx/init_state.c), are data and code a student holds
next to the manual, and count apart (TABLES).

Alone:  python3 -m unittest tests/tools/test_init_path.py
"""
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUDGET = 300

PATH = [
    ("apic/access.c", ["apic_exit_write"]),                 # exit 56: the ICR value is in the page
    ("apic/ipi.c", ["apic_send_ipi", "env_of", "deliver",   # classify (icr.c), leave the request
                    "apic_take_requests", "restart_point", "apic_init_reset", "start_at_sipi"]),
    ("vmx/vcpu_reset.c", ["vcpu_request", "vcpu_take_requests", "vmx_entry_requests",
                          "vcpu_init_reset", "init_inputs", "same_inputs", "load_cpu_regs",
                          "guest_visible_cr0"]),
]
# what the path calls in other files, counted in the budget too: the register store, the
# virtual APIC's reset, the TLB flush
CALLS = [
    ("apic/vlapic.c", ["vlapic_write_done", "vlapic_reset"]),
    ("apic/irq.c", ["apic_irq_reset", "apic_irq_mode_update"]),
    ("vmx/setup.c", ["vmx_flush_tlb", "vmx_flush_vpid"]),
]
TABLES = [
    ("apic/icr.c", ["icr_classify", "icr_decode", "decide", "destination", "logical_match"]),
    ("vmx/init_state.c", ["init_state_build", "init_state_regs", "value_of", "init_state_cr0"]),
]


def body_lines(text, name):
    """Lines strictly between a function definition's opening and closing brace (None if the
    file has no definition of it). A definition starts at the line's first column."""
    m = re.search(r"^[A-Za-z_][^;{}()]*\b%s\(([^;{}]|\n)*?\)\s*\{" % re.escape(name), text, re.M)
    if not m:
        return None
    depth, i = 1, m.end()
    start_line = text.count("\n", 0, m.end())
    while depth and i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    end_line = text.count("\n", 0, i)
    return max(0, end_line - start_line - 1) if end_line > start_line else 1


def count(files):
    total, rows = 0, []
    for path, names in files:
        with open(os.path.join(ROOT, path)) as f:
            text = f.read()
        for n in names:
            k = body_lines(text, n)
            rows.append((path, n, k))
            total += k or 0
    return total, rows


class InitPath(unittest.TestCase):
    def test_every_function_exists(self):
        for path, name, k in count(PATH + CALLS + TABLES)[1]:
            self.assertIsNotNone(k, "%s: no definition of %s (update PATH and docs/apic-init.md)" % (path, name))

    def test_about_three_files(self):
        self.assertLessEqual(len(PATH), 3)

    def test_budget(self):
        total, rows = count(PATH + CALLS)
        table = "\n".join("  %-18s %-22s %s" % r for r in rows)
        self.assertLessEqual(total, BUDGET, "the INIT path has %d lines of function bodies (budget %d):\n%s"
                             % (total, BUDGET, table))

    def test_docs_list_the_path(self):
        with open(os.path.join(ROOT, "docs/apic-init.md")) as f:
            doc = f.read()
        for path, names in PATH + CALLS + TABLES:
            self.assertTrue(path in doc, "docs/apic-init.md does not name %s" % path)
            for n in names:
                self.assertTrue("`%s`" % n in doc, "docs/apic-init.md does not name %s" % n)

    def test_counter_counts(self):
        # the counter itself: a 3-line body, and a missing function
        text = "static int f(int a,\n          int b)\n{\n    int c = a;\n    if (b) { c++; }\n    return c;\n}\n"
        self.assertEqual(body_lines(text, "f"), 3)
        self.assertIsNone(body_lines(text, "g"))


if __name__ == "__main__":
    total, rows = count(PATH + CALLS)
    for r in rows:
        print("%-18s %-22s %s" % r)
    print("path: %d lines of function bodies (budget %d); tables: %d" % (total, BUDGET, count(TABLES)[0]))

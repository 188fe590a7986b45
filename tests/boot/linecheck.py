"""The line expectations every boot test checks on a serial log (boottest.py, realostest.py).

Each pattern is a regular expression matched per line (re.search):
  expect    must match a line; with in_order, in the given order (each after the previous one)
  anywhere  must match a line, wherever it is (beside an ordered list)
  reject    must match no line
  count     "REGEX=N": exactly N lines match
Returns the list of failures, one sentence each (empty: all good)."""
import re


def check_lines(lines, expect=(), anywhere=(), reject=(), count=(), in_order=False):
    failures, pos = [], 0
    for pat in expect:
        rx = re.compile(pat)
        hits = [i for i, l in enumerate(lines) if rx.search(l)]
        if not hits:
            failures.append("no line matches %r" % pat)
        elif in_order:
            later = [i for i in hits if i >= pos]
            if not later:
                failures.append("%r matches only before the previous expectation" % pat)
            else:
                pos = later[0]
    for pat in anywhere:
        if not any(re.search(pat, l) for l in lines):
            failures.append("no line matches %r" % pat)
    for pat in reject:
        rx = re.compile(pat)
        bad = [l for l in lines if rx.search(l)]
        if bad:
            failures.append("line matches rejected %r: %s" % (pat, bad[0]))
    for spec in count:
        pat, _, n = spec.rpartition("=")
        got = sum(1 for l in lines if re.search(pat, l))
        if got != int(n):
            failures.append("%d lines match %r, expected %s" % (got, pat, n))
    return failures

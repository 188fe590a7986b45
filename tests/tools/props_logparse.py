"""Property tests of tools/vmxlab_py/logparse.py (python3-hypothesis), against docs/log-format.md.

ctest runs it as fuzz.logparse_props (label fuzz, tests/fuzz/CMakeLists.txt), with a python3
that has python3-hypothesis; the file name keeps it out of tools.lab_unittest's discovery.
Alone:  python3 tests/tools/props_logparse.py
"""

import json
import os
import sys
import unittest

from hypothesis import given, settings, strategies as st

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from vmxlab_py import logparse as lp  # noqa: E402

SETTINGS = settings(max_examples=100, deadline=None, database=None)  # no .hypothesis/ in the tree

# Guest output that cannot contain a kernel marker: no "vmxlab:" and no "[".
guest_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="[\r\n\x00"),
                     max_size=40).filter(lambda s: "vmxlab:" not in s)
module = st.from_regex(r"[a-z][a-z0-9_.-]{0,8}", fullmatch=True).filter(lambda m: m != "stats")
plain = st.text("abcdefghijklmnopqrstuvwxyz0123456789 _-", max_size=30)
version = st.from_regex(r"[0-9][0-9a-z.+-]{0,10}", fullmatch=True)


@st.composite
def boot(draw):
    """(lines, expected) for one boot as the kernel writes it."""
    lines = ["vmxlab: start version=%s" % draw(version)]
    exp = {"version": lines[0].split("=", 1)[1], "errors": 0, "warnings": 0, "exits": {}}
    tsc = draw(st.integers(0, 10 ** 6))
    for _ in range(draw(st.integers(0, 8))):
        tsc += draw(st.integers(0, 10 ** 9))
        kind = draw(st.sampled_from(["log", "guest", "exit"]))
        if kind == "guest":
            lines.append(draw(guest_text))
            continue
        if kind == "exit":
            reason, count = draw(st.integers(0, 70)), draw(st.integers(0, 10 ** 6))
            lines.append('[%12d] I stats: exit reason=%d name="reason %d" count=%d' % (tsc, reason, reason, count))
            exp["exits"][reason] = exp["exits"].get(reason, 0) + count
            continue
        level = draw(st.sampled_from("EWIDT"))
        lines.append("[%12d] %s %s: %s" % (tsc, level, draw(module), draw(plain)))
        exp["errors"] += level == "E"
        exp["warnings"] += level == "W"
    if draw(st.booleans()):
        exp["status"] = draw(st.integers(-5, 255))
        lines.append("vmxlab: halted status=%d" % exp["status"])
    else:
        exp["status"] = None
    return lines, exp


@st.composite
def log(draw):
    boots = draw(st.lists(boot(), max_size=4))
    # an incomplete boot is closed by the next banner, so all but the last may lack a status
    lines, exps = [], []
    for ls, e in boots:
        lines += ls
        exps.append(e)
    return lines, exps


def summary(b):
    return (b.version, b.status, len(b.errors), b.warnings, {r: e["count"] for r, e in b.exits.items()})


def expected(e):
    return (e["version"], e["status"], e["errors"], e["warnings"], e["exits"])


class ParserProperties(unittest.TestCase):
    @SETTINGS
    @given(st.binary(max_size=400))
    def test_any_bytes(self, data):
        """Garbage never raises; the table and JSON render; JSON reads back."""
        boots = lp.parse_text(data).boots
        table = lp.format_table(boots)
        self.assertTrue(table.endswith(" incomplete\n"))
        self.assertEqual(len(json.loads(lp.to_json(boots))), len(boots))

    @SETTINGS
    @given(st.binary(max_size=200))
    def test_decode_serial_one_line(self, data):
        text = lp.decode_serial(data)
        self.assertFalse(any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in text), text)

    @SETTINGS
    @given(st.binary(max_size=300))
    def test_split_lines(self, data):
        lines, tail = lp.split_lines(data)
        self.assertNotIn(b"\n", tail)
        self.assertTrue(all(b"\n" not in l and b"\x00" not in l and not l.endswith(b"\r") or l.endswith(b"\r\r")
                            for l in lines))
        self.assertEqual(len(lines), data.replace(b"\x00", b"").count(b"\n"))

    @SETTINGS
    @given(log())
    def test_generated_boots(self, gen):
        """Each boot comes back with its version, status, error/warning counts and exit sums."""
        lines, exps = gen
        boots = lp.parse_text("\n".join(lines) + "\n").boots
        self.assertEqual([summary(b) for b in boots], [expected(e) for e in exps])
        for b in boots:
            self.assertTrue(b.banner)

    @SETTINGS
    @given(log(), st.sampled_from(["\n", "\r\n"]), st.integers(0, 5))
    def test_line_endings_and_nuls(self, gen, eol, nuls):
        """CRLF or LF, and NUL bytes between lines (UART power-up noise), change nothing."""
        lines, exps = gen
        data = (("\x00" * nuls) + eol).join(lines).encode() + eol.encode()
        self.assertEqual([summary(b) for b in lp.parse_text(data).boots], [expected(e) for e in exps])

    @SETTINGS
    @given(log())
    def test_capture_prefix(self, gen):
        """A capture file (host time and mark before every line) gives the same boots."""
        lines, exps = gen
        text = "# vmxlab capture: machine=m1 source=tcp\n" + "".join(
            "2026-12-02T04:%02d:%02d.%03dZ | %s\n" % (i // 60 % 60, i % 60, i % 1000, l) for i, l in enumerate(lines))
        boots = lp.parse_text(text).boots
        self.assertEqual([summary(b) for b in boots], [expected(e) for e in exps])
        for b in boots:
            self.assertIsNotNone(b.first_time)

    @SETTINGS
    @given(st.dictionaries(st.from_regex(r"[A-Za-z_][\w.-]{0,8}", fullmatch=True),
                           st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12), max_size=5))
    def test_kv_round_trip(self, fields):
        """key=value and key="quoted \\"value\\"" read back as written."""
        def fmt(v):
            if v and not any(c.isspace() or c in '"\\' for c in v):
                return v
            return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
        text = " ".join("%s=%s" % (k, fmt(v)) for k, v in fields.items())
        self.assertEqual(lp.parse_kv(text), fields)


if __name__ == "__main__":
    unittest.main()

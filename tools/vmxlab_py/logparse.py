"""Parse vmxlab's serial console log into boots.

The format is fixed by the kernel and described in docs/log-format.md:

    vmxlab: start version=<ver>                      banner, first kernel line of a boot
    [<tsc, 12 columns>] <L> <module>: <text>         log line, L in E W I D T
    vmxlab: halted status=<n>                        final line of a boot (0 = success)

Everything else is guest output (a guest drives COM1 itself), BIOS/iPXE/GRUB
noise before the banner, or line fragments.  The parser never raises on bad
input: garbage and binary bytes simply become guest text.

Files written by `vmxlab capture` prefix every line with a host timestamp
(see HOST_RE); the parser accepts lines with and without that prefix, so it
reads both capture files and raw logs such as QEMU's `-serial file:LOG`.
"""

import json
import os
import re

# --- line syntax -------------------------------------------------------------

# `vmxlab capture` writes  <UTC time> <mark> <console text>,  mark is
#   |  a complete console line
#   ~  a fragment: console bytes that were not followed by a newline
#   #  a note from the capture tool itself (source lost, reconnected, ...)
HOST_RE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ([|~#]) ?(.*)$")
# First line of a capture file (no host time): `# vmxlab capture: key=value ...`
HEADER_PREFIX = "# vmxlab capture:"

BANNER_RE = re.compile(r"vmxlab: start version=(\S+)")
STATUS_RE = re.compile(r"vmxlab: halted status=(-?\d+)")
# The tsc is right-aligned in 12 columns; accept any width so that a counter
# past 12 digits (or a kernel that forgot the padding) still parses.
LOG_RE = re.compile(r"\[ *(\d+)\] ([EWIDT]) ([A-Za-z][\w.-]*): ?(.*)$")
KV_RE = re.compile(r'([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')

LEVELS = {"E": "error", "W": "warn", "I": "info", "D": "debug", "T": "trace"}


def decode_serial(data):
    """Bytes from a serial line -> printable str.

    UTF-8 where valid, other bytes as \\xNN; control characters (except tab)
    become \\xNN too so that a log file stays one record per line.  Carriage
    returns at line ends must be removed before calling this (split_lines)."""
    if isinstance(data, bytes):
        text = data.decode("utf-8", errors="backslashreplace")
    else:
        text = data
    out = []
    for ch in text:
        o = ord(ch)
        if (o < 0x20 and ch != "\t") or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def split_lines(data):
    """bytes -> (complete lines, trailing fragment), both as bytes.

    LF ends a line; a CR right before it (CRLF) is dropped; NUL bytes, which
    some UARTs emit at power-up, are dropped."""
    data = data.replace(b"\x00", b"")
    parts = data.split(b"\n")
    tail = parts.pop()
    lines = [p[:-1] if p.endswith(b"\r") else p for p in parts]
    return lines, tail


def parse_kv(text):
    """`a=1 name="INIT signal" b=` -> {'a': '1', 'name': 'INIT signal', 'b': ''}"""
    fields = {}
    for m in KV_RE.finditer(text):
        value = m.group(2)
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        fields[m.group(1)] = value
    return fields


class Record:
    """One classified piece of console output.

    kind: 'banner', 'log', 'status', 'guest' (anything else) or 'note'
    (a capture-tool note).  For 'log': tsc, level, module, text, fields."""

    __slots__ = ("kind", "text", "host_time", "partial", "tsc", "level",
                 "module", "fields", "version", "status")

    def __init__(self, kind, text, host_time=None, partial=False):
        self.kind = kind
        self.text = text
        self.host_time = host_time
        self.partial = partial
        self.tsc = self.level = self.module = None
        self.version = self.status = None
        self.fields = {}

    def __repr__(self):
        return "Record(%s, %r)" % (self.kind, self.text)


def _kernel_record(m, which, host_time):
    if which == "banner":
        r = Record("banner", m.group(0), host_time)
        r.version = m.group(1)
    elif which == "status":
        r = Record("status", m.group(0), host_time)
        r.status = int(m.group(1))
    else:
        r = Record("log", m.group(4), host_time)
        r.tsc = int(m.group(1))
        r.level = m.group(2)
        r.module = m.group(3)
        r.fields = parse_kv(r.text)
    return r


def parse_line(line):
    """Classify one line (str, no newline; may carry a capture host prefix).

    Returns a list of Records: usually one, two when guest output without a
    newline was followed by a kernel line on the same physical line."""
    line = line.rstrip("\r\n")
    host_time, partial = None, False
    hm = HOST_RE.match(line)
    if hm:
        host_time, mark, line = hm.group(1), hm.group(2), hm.group(3)
        if mark == "#":
            return [Record("note", line, host_time)]
        partial = mark == "~"
    elif line.startswith(HEADER_PREFIX):
        return [Record("note", line)]

    # The earliest kernel marker on the line wins; text before it is a guest
    # fragment (e.g. GRUB's escape sequences ending in a bare CR).
    best = None
    for which, rx in (("banner", BANNER_RE), ("status", STATUS_RE),
                      ("log", LOG_RE)):
        m = rx.search(line)
        if m and (best is None or m.start() < best[1].start()):
            best = (which, m)
    if best is None:
        return [Record("guest", line, host_time, partial)]
    which, m = best
    out = []
    if m.start() > 0:
        out.append(Record("guest", line[:m.start()], host_time, True))
    out.append(_kernel_record(m, which, host_time))
    return out


# --- boots -------------------------------------------------------------------

class Boot:
    """Everything learned about one boot (banner .. final status line)."""

    def __init__(self, machine=None, index=None, source=None):
        self.machine = machine
        self.index = index          # n of <machine>-<n>.log, or order in a stream
        self.source = source        # file it was read from
        self.banner = False         # False: output started mid-boot
        self.version = None
        self.status = None          # None: the final line never came
        self.guest = {}             # name, size, load, entry
        self.init_resets = []       # [(n, 'cs:ip'), ...]
        self.exits = {}             # reason -> {'name': str, 'count': int}
        self.errors = []            # texts of E lines, 'module: text'
        self.warnings = 0
        self.guest_lines = 0
        self.notes = []             # capture notes (drops, reconnects)
        self.first_time = None      # host times, when captured
        self.last_time = None
        self.lines = 0

    @property
    def complete(self):
        return self.status is not None

    @property
    def outcome(self):
        if self.status is None:
            return "incomplete"
        return "status=%d" % self.status

    @property
    def exit_total(self):
        return sum(e["count"] for e in self.exits.values())

    def add(self, rec):
        self.lines += 1
        if rec.host_time:
            self.first_time = self.first_time or rec.host_time
            self.last_time = rec.host_time
        if rec.kind == "banner":
            self.banner = True
            self.version = rec.version
        elif rec.kind == "status":
            self.status = rec.status
        elif rec.kind == "note":
            if not rec.text.startswith(HEADER_PREFIX):
                self.notes.append(rec.text)
        elif rec.kind == "guest":
            self.guest_lines += 1
        elif rec.kind == "log":
            self._add_log(rec)

    def _add_log(self, rec):
        f = rec.fields
        if rec.level == "E":
            self.errors.append("%s: %s" % (rec.module, rec.text))
        elif rec.level == "W":
            self.warnings += 1
        if rec.module == "guest" and "name" in f:
            for key in ("name", "size", "load", "entry"):
                if key in f:
                    self.guest[key] = f[key]
        elif rec.module.startswith("vcpu") and rec.text.startswith("INIT reset"):
            m = re.match(r"INIT reset #(\d+)\s*->\s*(\S+)", rec.text)
            if m:
                self.init_resets.append((int(m.group(1)), m.group(2)))
            else:
                self.init_resets.append((len(self.init_resets) + 1, "?"))
        elif rec.module == "stats" and rec.text.startswith("exit ") \
                and "reason" in f:
            try:
                reason = int(f["reason"])
                count = int(f.get("count", "0"))
            except ValueError:
                return
            e = self.exits.setdefault(reason, {"name": f.get("name", ""),
                                               "count": 0})
            e["count"] += count

    def to_dict(self):
        return {
            "machine": self.machine, "boot": self.index, "source": self.source,
            "outcome": self.outcome, "status": self.status,
            "banner": self.banner, "version": self.version,
            "guest": self.guest.get("name"), "guest_info": dict(self.guest),
            "init_resets": len(self.init_resets),
            "init_targets": [t for _, t in self.init_resets],
            "exits": {str(r): dict(e) for r, e in sorted(self.exits.items())},
            "exit_total": self.exit_total,
            "errors": len(self.errors), "error_lines": list(self.errors),
            "warnings": self.warnings, "guest_lines": self.guest_lines,
            "notes": list(self.notes),
            "first_time": self.first_time, "last_time": self.last_time,
        }


class BootSplitter:
    """Feed Records in stream order; collects Boots.

    A banner starts a boot (closing an open one as incomplete), the status line
    ends it.  Kernel log lines with no boot open (output joined mid-boot) start
    a boot without banner.  Guest output between boots belongs to no boot."""

    def __init__(self, machine=None, source=None):
        self.machine = machine
        self.source = source
        self.boots = []
        self.current = None
        self.outside = 0            # records that belong to no boot
        self.header = {}            # fields of a capture-file header

    def _start(self):
        self.current = Boot(self.machine, len(self.boots) + 1, self.source)
        self.boots.append(self.current)

    def feed(self, rec):
        if rec.kind == "note" and rec.text.startswith(HEADER_PREFIX):
            self.header = parse_kv(rec.text[len(HEADER_PREFIX):])
            return
        if rec.kind == "banner":
            self._start()
        elif rec.kind in ("log", "status") and self.current is None:
            self._start()
        if self.current is None:
            self.outside += 1
            return
        self.current.add(rec)
        if rec.kind == "status":
            self.current = None

    def feed_line(self, line):
        for rec in parse_line(line):
            self.feed(rec)


def parse_text(text, machine=None, source=None):
    """A whole log (str or bytes) -> list of Boots."""
    sp = BootSplitter(machine, source)
    if isinstance(text, str):
        text = text.encode("utf-8", errors="surrogateescape")
    lines, tail = split_lines(text)
    for raw in lines:
        sp.feed_line(decode_serial(raw))
    if tail:
        sp.feed_line(decode_serial(tail))
    return sp


BOOTFILE_RE = re.compile(r"^(?P<machine>.+)-(?P<n>\d+)\.log$")


def parse_file(path):
    """A capture file `<machine>-<n>.log` or any raw serial log -> Boots."""
    name = os.path.basename(path)
    m = BOOTFILE_RE.match(name)
    machine = m.group("machine") if m else os.path.splitext(name)[0]
    with open(path, "rb") as f:
        sp = parse_text(f.read(), machine, path)
    if sp.header.get("machine"):
        for b in sp.boots:
            b.machine = sp.header["machine"]
    if m and len(sp.boots) == 1:
        sp.boots[0].index = int(m.group("n"))
    return sp.boots


def log_files(paths):
    """Expand directories to their boot logs, in a natural order."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            for name in os.listdir(p):
                if name.endswith(".log") and not name.endswith(".console.log"):
                    files.append(os.path.join(p, name))
        else:
            files.append(p)

    def key(path):
        m = BOOTFILE_RE.match(os.path.basename(path))
        if m:
            return (m.group("machine"), int(m.group("n")), path)
        return (os.path.basename(path), 0, path)
    return sorted(files, key=key)


def summarize(paths):
    boots = []
    for path in log_files(paths):
        boots.extend(parse_file(path))
    return boots


def _exits_cell(boot):
    if not boot.exits:
        return "-"
    items = sorted(boot.exits.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
    return " ".join("%s=%d" % ((e["name"] or str(r)).replace(" ", "_"),
                               e["count"]) for r, e in items)


def format_table(boots):
    head = ("machine", "boot", "outcome", "guest", "INIT", "errors", "exits")
    rows = [head]
    for b in boots:
        rows.append((b.machine or "?", str(b.index or "?"), b.outcome,
                     b.guest.get("name", "-"), str(len(b.init_resets)),
                     str(len(b.errors)), _exits_cell(b)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
    out = []
    for r in rows:
        cells = [r[i].ljust(widths[i]) for i in range(len(widths))]
        out.append("  ".join(cells + [r[-1]]).rstrip())
    ok = sum(1 for b in boots if b.status == 0)
    bad = sum(1 for b in boots if b.complete and b.status != 0)
    inc = sum(1 for b in boots if not b.complete)
    out.append("%d boots: %d status=0, %d failed, %d incomplete"
               % (len(boots), ok, bad, inc))
    return "\n".join(out) + "\n"


def to_json(boots):
    return json.dumps([b.to_dict() for b in boots], indent=2) + "\n"

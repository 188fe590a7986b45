"""Capture many vmxlab serial consoles at once: one log file per machine per boot.

Sources (optionally named: NAME=SOURCE):
    /dev/ttyS0[@115200]   serial device (python3-serial; termios if it is missing)
    /dev/pts/N[@baud]     a pty (e.g. QEMU -serial pty)
    file:PATH             a growing file (QEMU -serial file:PATH); reopened when
                          it is replaced or truncated
    tcp:HOST:PORT         connect to a TCP serial port (QEMU -serial tcp:...,server)
    listen:HOST:PORT      accept a TCP serial port (QEMU -serial tcp:HOST:PORT)

Output in --out DIR:
    <machine>.console.log    everything the machine printed, BIOS and GRUB included
    <machine>-<n>.log        one boot: from the banner to the final status line

Every line carries the host's UTC time and a mark (see logparse.HOST_RE):
    2025-11-25T17:47:01.234Z | <console line>
    2025-11-25T17:47:02.001Z ~ <bytes that were not followed by a newline>
    2025-11-25T17:47:02.002Z # capture: <note from this tool: drops, reconnects>

A source that disappears is retried with exponential backoff (0.25 s .. 5 s);
the drop and the return are noted in the open boot's file, so a boot file
with a gap says so.  Bytes sent while nobody listened are lost.
"""

import datetime
import errno
import os
import re
import select
import socket
import threading
import time

from . import logparse

IDLE_FRAGMENT_S = 1.0       # flush a line without newline after this long idle
BACKOFF_MIN_S = 0.25
BACKOFF_MAX_S = 5.0


class SourceLost(Exception):
    pass


def host_time():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


# --- sources ---------------------------------------------------------------

class Source:
    """open() may raise OSError; read(timeout) returns bytes (b'' = nothing yet)
    or raises SourceLost."""
    spec = "?"

    def open(self):
        raise NotImplementedError

    def read(self, timeout):
        raise NotImplementedError

    def close(self):
        pass

    def shutdown(self):
        self.close()


def _read_fd(fd, timeout):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return b""
    try:
        data = os.read(fd, 4096)
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return b""
        raise SourceLost(os.strerror(e.errno))  # EIO: pty master closed, etc.
    if not data:
        raise SourceLost("end of file (hang-up)")
    return data


class SerialSource(Source):
    def __init__(self, path, baud=115200):
        self.path, self.baud = path, baud
        self.spec = "%s@%d" % (path, baud)
        self.port = None
        self.fd = None

    def open(self):
        try:
            import serial   # python3-serial
        except ImportError:
            serial = None
        if serial is not None:
            try:
                self.port = serial.Serial(self.path, self.baud, timeout=0)
            except serial.SerialException as e:
                raise OSError(str(e))
            self.fd = self.port.fileno()
            return
        import termios
        import tty
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        attrs = termios.tcgetattr(self.fd)
        speed = getattr(termios, "B%d" % self.baud, termios.B115200)
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

    def read(self, timeout):
        return _read_fd(self.fd, timeout)

    def close(self):
        if self.port is not None:
            try:
                self.port.close()
            except Exception:
                pass
        elif self.fd is not None:
            os.close(self.fd)
        self.port = self.fd = None


class FileSource(Source):
    def __init__(self, path):
        self.path = path
        self.spec = "file:" + path
        self.f = None
        self.ino = None

    def open(self):
        self.f = open(self.path, "rb")
        self.ino = os.fstat(self.f.fileno()).st_ino

    def read(self, timeout):
        data = self.f.read(65536)
        if data:
            return data
        try:
            st = os.stat(self.path)
        except OSError:
            raise SourceLost("file removed")
        if st.st_ino != self.ino:
            raise SourceLost("file replaced")
        if st.st_size < self.f.tell():
            raise SourceLost("file truncated")
        time.sleep(min(timeout, 0.1))
        return b""

    def close(self):
        if self.f:
            self.f.close()
        self.f = None


class TcpSource(Source):
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.spec = "tcp:%s:%d" % (host, port)
        self.sock = None

    def open(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=2)
        self.sock.setblocking(False)

    def read(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return b""
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return b""
        except OSError as e:
            raise SourceLost(e.strerror or str(e))
        if not data:
            raise SourceLost("connection closed by peer")
        return data

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None


class ListenSource(Source):
    """Accept one connection at a time (QEMU `-serial tcp:HOST:PORT` connects)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.spec = "listen:%s:%d" % (host, port)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, port))      # bind now: fail early, before QEMU starts
        self.server.listen(1)
        self.conn = None

    def open(self):
        r, _, _ = select.select([self.server], [], [], 0.5)
        if not r:
            raise OSError("no client connected yet")
        self.conn, _ = self.server.accept()
        self.conn.setblocking(False)

    def read(self, timeout):
        r, _, _ = select.select([self.conn], [], [], timeout)
        if not r:
            return b""
        try:
            data = self.conn.recv(4096)
        except BlockingIOError:
            return b""
        except OSError as e:
            raise SourceLost(e.strerror or str(e))
        if not data:
            raise SourceLost("client disconnected")
        return data

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def shutdown(self):
        self.close()
        self.server.close()


NAMED_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$")


def parse_source(text):
    """'[NAME=]SPEC' -> (name or None, Source)."""
    name = None
    m = NAMED_RE.match(text)
    if m and not text.startswith(("file:", "/")):
        name, text = m.group(1), m.group(2)
    if text.startswith("file:"):
        return name, FileSource(text[5:])
    for prefix, cls in (("tcp:", TcpSource), ("listen:", ListenSource)):
        if text.startswith(prefix):
            host, _, port = text[len(prefix):].rpartition(":")
            if not host or not port.isdigit():
                raise ValueError("want %sHOST:PORT, got %r" % (prefix, text))
            return name, cls(host, int(port))
    if text.startswith("/"):
        path, _, baud = text.partition("@")
        if baud and not baud.isdigit():
            raise ValueError("bad baud rate in %r" % text)
        return name, SerialSource(path, int(baud or 115200))
    raise ValueError("unknown source %r: use /dev/ttyS0[@115200], /dev/pts/N, "
                     "file:PATH, tcp:HOST:PORT or listen:HOST:PORT" % text)


def default_name(source):
    if isinstance(source, SerialSource):
        return source.path.replace("/dev/", "").replace("/", "")
    if isinstance(source, FileSource):
        base = os.path.basename(source.path)
        return os.path.splitext(base)[0] or "file"
    return "%s_%d" % (source.host, source.port)


# --- per-machine log writer --------------------------------------------------

class MachineLog:
    """Turns one machine's byte stream into the console file and boot files."""

    def __init__(self, name, spec, outdir):
        self.name, self.spec, self.outdir = name, spec, outdir
        self.console = open(os.path.join(outdir, name + ".console.log"), "a")
        self.boot = None            # open file of the boot in progress
        self.boot_path = None
        self.next_n = 1 + max([int(m.group("n")) for m in
                               (logparse.BOOTFILE_RE.match(f) for f in os.listdir(outdir))
                               if m and m.group("machine") == name] or [0])
        self.finished = []          # paths of boot files that reached the status line
        self.opened = []            # every boot file this run made
        self.tail = b""
        self.tail_since = None
        self.lock = threading.Lock()

    def _emit(self, mark, text, t=None):
        line = "%s %s %s\n" % (t or host_time(), mark, text)
        self.console.write(line)
        if self.boot:
            self.boot.write(line)
        self.console.flush()
        if self.boot:
            self.boot.flush()

    def note(self, text):
        with self.lock:
            self._emit("#", "capture: " + text)

    def _open_boot(self, why=None):
        n = self.next_n
        self.next_n += 1
        self.boot_path = os.path.join(self.outdir, "%s-%d.log" % (self.name, n))
        self.boot = open(self.boot_path, "w")
        self.opened.append(self.boot_path)
        self.boot.write("%s machine=%s source=%s boot=%d\n"
                        % (logparse.HEADER_PREFIX, self.name, self.spec, n))
        if why:
            self.boot.write("%s # capture: %s\n" % (host_time(), why))

    def _close_boot(self, why=None):
        if self.boot:
            if why:
                self.boot.write("%s # capture: %s\n" % (host_time(), why))
            self.boot.close()
        self.boot = self.boot_path = None

    def _line(self, text, mark="|"):
        recs = logparse.parse_line(text)
        if len(recs) == 2:          # guest fragment, then a kernel line
            cut = len(recs[0].text)
            self._emit("~", text[:cut])
            text, recs = text[cut:], recs[1:]
        rec = recs[0]
        if rec.kind == "banner":
            if self.boot:
                self._close_boot("next banner before the final line: boot incomplete")
            self._open_boot()
        elif rec.kind in ("log", "status") and self.boot is None:
            self._open_boot("joined mid-boot: no banner seen")
        self._emit(mark, text)
        if rec.kind == "status":
            self.finished.append(self.boot_path)
            self._close_boot()

    def feed(self, data):
        with self.lock:
            lines, self.tail = logparse.split_lines(self.tail + data)
            for raw in lines:
                self._line(logparse.decode_serial(raw))
            self.tail_since = time.monotonic() if self.tail else None

    def flush_fragment(self, force=False):
        """Write a pending partial line (idle, source lost, or stop)."""
        with self.lock:
            if self.tail and (force or time.monotonic() - self.tail_since
                              >= IDLE_FRAGMENT_S):
                self._line(logparse.decode_serial(self.tail.rstrip(b"\r")), "~")
                self.tail, self.tail_since = b"", None

    def close(self, why):
        self.flush_fragment(force=True)
        with self.lock:
            self._close_boot(why)
            self.console.close()


class Reader(threading.Thread):
    """One thread per source: connect, read, reconnect with backoff."""

    def __init__(self, source, log, stop, err=None):
        super().__init__(name="capture-" + log.name, daemon=True)
        self.source, self.log, self.stop = source, log, stop
        self.drops = 0
        self.err = err              # the terminal: why a source cannot be read goes there too
        self.connected = False
        self.last_error = None

    def tell(self, text):
        if self.err:
            self.err.write("capture: %s: %s\n" % (self.log.name, text))
            self.err.flush()

    def run(self):
        backoff = BACKOFF_MIN_S
        lost_at = None
        first_error = None
        while not self.stop.is_set():
            try:
                self.source.open()
            except OSError as e:
                self.last_error = str(e)
                if first_error != str(e) and lost_at is None:
                    first_error = str(e)
                    self.log.note("waiting for %s: %s" % (self.source.spec, e))
                    self.tell("cannot open %s: %s (retrying)" % (self.source.spec, e))
                self.stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            if lost_at is not None:
                self.log.note("source %s back after %.1f s (output sent meanwhile "
                              "is lost)" % (self.source.spec, time.monotonic() - lost_at))
            else:
                self.log.note("connected to %s" % self.source.spec)
            if first_error:
                self.tell("connected to %s" % self.source.spec)
            self.connected = True
            backoff, lost_at, first_error = BACKOFF_MIN_S, None, None
            try:
                while not self.stop.is_set():
                    data = self.source.read(0.2)
                    if data:
                        self.log.feed(data)
                    else:
                        self.log.flush_fragment()
            except SourceLost as e:
                self.drops += 1
                lost_at = time.monotonic()
                self.log.flush_fragment(force=True)
                self.log.note("source %s lost: %s; reconnecting" % (self.source.spec, e))
                self.tell("source %s lost: %s; reconnecting" % (self.source.spec, e))
            finally:
                self.source.close()
        self.source.shutdown()


def capture(specs, outdir, boots=None, duration=None, out=None, err=None):
    """Capture until every machine finished `boots` boots, `duration` seconds
    passed, or Ctrl-C.  Returns (boot files opened, boot files finished)."""
    os.makedirs(outdir, exist_ok=True)
    parsed, names = [], set()
    for spec in specs:
        name, src = parse_source(spec)
        name = name or default_name(src)
        base, i = name, 2
        while name in names:
            name, i = "%s_%d" % (base, i), i + 1
        names.add(name)
        parsed.append((name, src))
    stop = threading.Event()
    readers = []
    for name, src in parsed:
        log = MachineLog(name, src.spec, outdir)
        readers.append(Reader(src, log, stop, err))
    for r in readers:
        r.start()
    if err:
        err.write("capture: %s -> %s\n" % (", ".join("%s=%s" % (r.log.name, r.source.spec)
                                                      for r in readers), outdir))
        err.flush()
    start = time.monotonic()
    why = "capture stopped before the final line"
    try:
        while True:
            if duration is not None and time.monotonic() - start >= duration:
                break
            if boots is not None and all(len(r.log.finished) >= boots for r in readers):
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        why = "capture interrupted (Ctrl-C) before the final line"
    stop.set()
    for r in readers:
        r.join(5)
    for r in readers:
        r.log.close(why)
        if not r.connected and r.last_error:
            r.tell("never connected to %s: %s" % (r.source.spec, r.last_error))
    opened = [p for r in readers for p in r.log.opened]
    finished = [p for r in readers for p in r.log.finished]
    return opened, finished

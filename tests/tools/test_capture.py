"""Capture from fake serial ports on 127.0.0.1 (only loopback traffic)."""

import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from vmxlab_py import capture as cap  # noqa: E402
from vmxlab_py import logparse  # noqa: E402
from test_pxe import run_cli  # noqa: E402


def boot_text(guest, status, resets=1):
    lines = ["vmxlab: start version=0.1",
             "[     1000000] I boot: multiboot2 ok",
             "[     2000000] I guest: name=%s size=512 load=0x7c00 entry=0000:7c00" % guest]
    lines += ["[     3000000] I vcpu0: INIT reset #%d -> 0000:7c00" % (i + 1)
              for i in range(resets)]
    lines += ["guest says hello",
              '[     4000000] I stats: exit reason=30 name="I/O instruction" count=7',
              '[     4000001] I stats: exit reason=3 name="INIT signal" count=%d' % resets,
              "vmxlab: halted status=%d" % status]
    return "\r\n".join(lines) + "\r\n"


class FakeSerialServer(threading.Thread):
    """Plays like QEMU's `-serial tcp:127.0.0.1:PORT,server=on,wait=off`.

    script: list of ('send', bytes) | ('drop', seconds_down) | ('sleep', s)."""

    def __init__(self, script):
        super().__init__(daemon=True)
        self.script = script
        self.port = None
        self.listener = self._listen(0)
        self.port = self.listener.getsockname()[1]
        self.error = None

    def _listen(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)
        s.settimeout(15)
        return s

    def run(self):
        try:
            conn, _ = self.listener.accept()
            for op, arg in self.script:
                if op == "send":
                    for i in range(0, len(arg), 37):     # odd chunks: split lines
                        conn.sendall(arg[i:i + 37])
                        time.sleep(0.002)
                elif op == "sleep":
                    time.sleep(arg)
                elif op == "drop":
                    conn.close()
                    self.listener.close()
                    time.sleep(arg)
                    self.listener = self._listen(self.port)
                    conn, _ = self.listener.accept()
            time.sleep(0.5)
            conn.close()
        except Exception as e:      # surfaced by the test
            self.error = e
        finally:
            self.listener.close()


class CaptureTests(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.out)

    def read(self, name):
        with open(os.path.join(self.out, name)) as f:
            return f.read()

    def test_two_tcp_sources_one_drops_and_returns(self):
        a_text = ("SeaBIOS\r\niPXE\r\n\x1b[2J" + boot_text("memtest", 0, 2)).encode()
        b_boot = boot_text("syslinux", 0).encode()
        cut = b_boot.index(b"guest says")
        a = FakeSerialServer([("sleep", 0.2), ("send", a_text)])
        b = FakeSerialServer([("send", b"GRUB\r\n" + b_boot[:cut] + b"partial li"),
                              ("drop", 0.8), ("send", b_boot[cut:] + b"\xff\x00junk")])
        a.start()
        b.start()
        t0 = time.monotonic()
        opened, finished = cap.capture(
            ["pc-a=tcp:127.0.0.1:%d" % a.port, "pc-b=tcp:127.0.0.1:%d" % b.port],
            self.out, boots=1, duration=20)
        took = time.monotonic() - t0
        a.join(5)
        b.join(5)
        self.assertIsNone(a.error)
        self.assertIsNone(b.error)
        self.assertLess(took, 15)
        self.assertEqual(sorted(os.path.basename(p) for p in finished),
                         ["pc-a-1.log", "pc-b-1.log"])
        self.assertEqual(sorted(os.listdir(self.out)),
                         ["pc-a-1.log", "pc-a.console.log",
                          "pc-b-1.log", "pc-b.console.log"])

        a_log = self.read("pc-a-1.log")
        lines = a_log.splitlines()
        self.assertTrue(lines[0].startswith("# vmxlab capture: machine=pc-a source=tcp:"))
        self.assertRegex(lines[1], r"^\d{4}-\d\d-\d\dT[\d:.]+Z \| vmxlab: start version=0.1$")
        self.assertRegex(lines[-1], r"Z \| vmxlab: halted status=0$")
        self.assertNotIn("SeaBIOS", a_log)              # before the banner
        self.assertIn("SeaBIOS", self.read("pc-a.console.log"))
        self.assertIn("~ \\x1b[2J", self.read("pc-a.console.log"))

        b_log = self.read("pc-b-1.log")
        self.assertIn("~ partial li", b_log)            # fragment flushed at the drop
        self.assertRegex(b_log, r"# capture: source tcp:127.0.0.1:\d+ lost: "
                                r"connection closed by peer; reconnecting")
        self.assertRegex(b_log, r"# capture: source tcp:127.0.0.1:\d+ back after")
        self.assertIn("| guest says hello", b_log)
        self.assertIn("| vmxlab: halted status=0", b_log)
        self.assertNotIn("\x00", self.read("pc-b.console.log"))

        rc, table, _ = run_cli(["capture", "--summary", self.out])
        self.assertEqual(rc, 0)
        rows = [l.split() for l in table.splitlines()]
        self.assertEqual(rows[0][:6], ["machine", "boot", "outcome", "guest", "INIT", "errors"])
        self.assertEqual(rows[1][:6], ["pc-a", "1", "status=0", "memtest", "2", "0"])
        self.assertEqual(rows[2][:6], ["pc-b", "1", "status=0", "syslinux", "1", "0"])
        self.assertIn("I/O_instruction=7", table)
        self.assertIn("2 boots: 2 status=0, 0 failed, 0 incomplete", table)
        rc, js, _ = run_cli(["capture", "--summary", self.out, "--json"])
        data = json.loads(js)
        self.assertEqual([d["machine"] for d in data], ["pc-a", "pc-b"])
        self.assertEqual(data[1]["exits"]["30"], {"name": "I/O instruction", "count": 7})
        # at least one "lost" and one "back": a loaded machine may need more reconnect attempts
        notes = data[1]["notes"]
        self.assertTrue(any(" lost: " in n for n in notes), notes)
        self.assertTrue(any(" back after" in n for n in notes), notes)

    def test_incomplete_boot_and_numbering(self):
        # A boot that never ends, then a new banner: 1 incomplete, 2 complete;
        # an existing pc-1.log makes this run start at 2.
        with open(os.path.join(self.out, "pc-1.log"), "w") as f:
            f.write("old\n")
        half = boot_text("g", 0).split("guest says")[0]
        s = FakeSerialServer([("send", (half + boot_text("g", 3)).encode())])
        s.start()
        opened, finished = cap.capture(["pc=tcp:127.0.0.1:%d" % s.port], self.out,
                                       boots=1, duration=10)
        s.join(5)
        self.assertEqual([os.path.basename(p) for p in opened], ["pc-2.log", "pc-3.log"])
        self.assertEqual([os.path.basename(p) for p in finished], ["pc-3.log"])
        boots = logparse.summarize(opened)
        self.assertEqual([b.outcome for b in boots], ["incomplete", "status=3"])
        self.assertIn("next banner before the final line", self.read("pc-2.log"))

    def test_listen_and_file_sources(self):
        path = os.path.join(self.out, "qemu-serial.txt")
        open(path, "wb").close()
        srv = cap.ListenSource("127.0.0.1", 0)
        port = srv.server.getsockname()[1]
        srv.shutdown()                              # free the port for capture
        stop = threading.Event()

        def qemu_client():                          # like -serial tcp:HOST:PORT
            for _ in range(50):
                try:
                    c = socket.create_connection(("127.0.0.1", port))
                    break
                except OSError:
                    time.sleep(0.1)
            c.sendall(boot_text("viaclient", 0).encode())
            stop.wait(5)
            c.close()

        def qemu_file():                            # like -serial file:PATH
            time.sleep(0.3)
            with open(path, "ab") as f:
                for line in boot_text("viafile", 1).encode().splitlines(True):
                    f.write(line)
                    f.flush()
                    time.sleep(0.01)
        threads = [threading.Thread(target=qemu_client, daemon=True),
                   threading.Thread(target=qemu_file, daemon=True)]
        for t in threads:
            t.start()
        opened, finished = cap.capture(["cl=listen:127.0.0.1:%d" % port, "file:" + path],
                                       self.out, boots=1, duration=10)
        stop.set()
        self.assertEqual(sorted(os.path.basename(p) for p in finished),
                         ["cl-1.log", "qemu-serial-1.log"])
        boots = {b.machine: b for b in logparse.summarize(finished)}
        self.assertEqual(boots["cl"].guest["name"], "viaclient")
        self.assertEqual(boots["qemu-serial"].status, 1)

    def test_parse_source(self):
        cases = {
            "/dev/ttyS0": (None, cap.SerialSource, "/dev/ttyS0@115200"),
            "lab3=/dev/ttyUSB1@9600": ("lab3", cap.SerialSource, "/dev/ttyUSB1@9600"),
            "file:/tmp/a=b.log": (None, cap.FileSource, "file:/tmp/a=b.log"),
            "tcp:127.0.0.1:4555": (None, cap.TcpSource, "tcp:127.0.0.1:4555"),
        }
        for text, (name, cls, spec) in cases.items():
            n, src = cap.parse_source(text)
            self.assertEqual((n, type(src), src.spec), (name, cls, spec))
        self.assertEqual(cap.default_name(cap.parse_source("/dev/pts/3")[1]), "pts3")
        self.assertEqual(cap.default_name(cap.parse_source("tcp:127.0.0.1:9")[1]),
                         "127.0.0.1_9")
        for bad in ("tcp:nohost", "/dev/ttyS0@fast", "com1"):
            with self.assertRaises(ValueError):
                cap.parse_source(bad)

    def test_pty_source(self):
        import pty
        master, slave = pty.openpty()
        name = os.ttyname(slave)
        self.addCleanup(os.close, slave)

        def qemu():
            time.sleep(0.3)
            os.write(master, boot_text("pty", 0).encode())
            time.sleep(1.5)
            os.close(master)
        threading.Thread(target=qemu, daemon=True).start()
        opened, finished = cap.capture(["vm=" + name], self.out, boots=1, duration=10)
        self.assertEqual([os.path.basename(p) for p in finished], ["vm-1.log"])


if __name__ == "__main__":
    unittest.main()

"""A guest given as a file: a flat real-mode binary as it is, or nasm source assembled with the
project's includes (guest-images/include: guest.inc, checks.inc, apic.inc, ...)."""
import os
import subprocess
import tempfile

from . import paths

INCLUDE = os.path.join(paths.ROOT, "guest-images", "include")
SOURCE_EXT = (".asm", ".s", ".nasm")
# the largest flat image vmxlab takes: conventional memory from 0x500 to 0xA0000
MAX_FLAT = 0xA0000 - 0x500


class BadGuest(Exception):
    """The guest file can't be used; the message is one line naming the problem."""


def is_source(path):
    return path.lower().endswith(SOURCE_EXT)


def assemble(src, out, include=INCLUDE, load=None):
    """nasm -f bin src -> out. load: guest.load, for guest.inc's org (GUEST_LOAD). Raises BadGuest
    with nasm's first error line."""
    args = ["nasm", "-Werror", "-f", "bin", "-I", include.rstrip("/") + "/", "-o", out, src]
    if load is not None:
        args[1:1] = ["-DGUEST_LOAD=0x%x" % load]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        first = (r.stdout.strip().splitlines() or ["nasm exited with %d" % r.returncode])[0]
        raise BadGuest("vmxlab: guest %s does not assemble: %s" % (src, first))
    return out


def looks_like_text(data):
    """Source text, not code: printable ASCII and whitespace only (a flat binary has opcodes)."""
    if not data:
        return False
    return all(b in (9, 10, 13) or 32 <= b < 127 for b in data[:4096])


def load_address(cmdline):
    """guest.load= of a vmxlab command line (None when absent or not a number)."""
    for word in (cmdline or "").split():
        if word.startswith("guest.load="):
            try:
                return int(word.split("=", 1)[1], 0)
            except ValueError:
                return None
    return None


def is_file_arg(name):
    """--guest NAME names a file (not a guest of guest-images/ by name)."""
    return os.sep in name or os.path.exists(name) or is_source(name) or name.endswith(".bin")


def resolve(path, cmdline="", workdir=None):
    """The binary to boot for --guest PATH: assembles source, checks a flat binary. Raises
    BadGuest (one line) for a file that does not exist, is empty, too large, or is text that is
    not nasm source by its name."""
    if not os.path.exists(path):
        raise BadGuest("vmxlab: no guest file %s" % path)
    if not os.path.isfile(path):
        raise BadGuest("vmxlab: guest %s is not a file" % path)
    if is_source(path):
        workdir = workdir or tempfile.mkdtemp(prefix="vmxlab-guest-")
        name = os.path.splitext(os.path.basename(path))[0]
        return assemble(path, os.path.join(workdir, name + ".bin"), load=load_address(cmdline))
    with open(path, "rb") as f:
        data = f.read(MAX_FLAT + 1)
    if not data:
        raise BadGuest("vmxlab: guest %s is empty" % path)
    for magic, what in ((b"\x7fELF", "an ELF file"), (b"\x1f\x8b", "gzip data"), (b"PK\x03\x04", "a zip archive")):
        if data.startswith(magic):
            raise BadGuest("vmxlab: guest %s is %s, not a flat real-mode binary or nasm source" % (path, what))
    if len(data) > MAX_FLAT:
        raise BadGuest("vmxlab: guest %s is larger than conventional memory (%d bytes at most): not a flat "
                       "real-mode binary" % (path, MAX_FLAT))
    if looks_like_text(data):
        raise BadGuest("vmxlab: guest %s is text, not a flat binary; nasm source must end in %s" %
                       (path, " or ".join(SOURCE_EXT)))
    return path

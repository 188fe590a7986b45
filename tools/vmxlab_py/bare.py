"""A guest image on bare Bochs, without vmxlab: the reference a guest test's expectation comes from.

The floppy holds a boot-sector loader (guest-images/bare/loader.asm, assembled here with the
guest's size) followed by the guest's sectors. The BIOS loads the loader to 0000:7C00; it moves
itself away, reads the guest to 0000:7C00 and jumps there with DL = the drive, as a BIOS leaves
a boot sector. Bochs runs with the same CPU model and memory as a vmxlab run. The guest ends
with guest.inc's power_off: on bare metal its VMCALL raises #UD, and the handler prints
`guest: end status=N` and writes "Shutdown" to Bochs's port 0x8900 (docs/testing.md)."""
import os
import re
import subprocess

from . import emu, paths

FLOPPY_BYTES = 1474560
END_RE = re.compile(r"^guest: end status=(\d+)\s*$", re.M)
LOADER = os.path.join(paths.ROOT, "guest-images", "bare", "loader.asm")


def make_floppy(guest, out):
    """A 1.44 MB floppy image: the loader in sector 0, the guest from sector 1."""
    with open(guest, "rb") as f:
        data = f.read()
    sectors = (len(data) + 511) // 512
    if not 0 < sectors < 2880 - 1 or 0x7C00 + sectors * 512 > 0x9F000:
        raise ValueError("guest image of %d bytes does not fit a floppy below the EBDA" % len(data))
    loader = out + ".loader"
    subprocess.run(["nasm", "-f", "bin", "-DGUEST_SECTORS=%d" % sectors, "-o", loader, LOADER], check=True)
    with open(loader, "rb") as f:
        boot = f.read()
    os.unlink(loader)
    assert len(boot) == 512
    image = boot + data + bytes(sectors * 512 - len(data))
    with open(out, "wb") as f:
        f.write(image + bytes(FLOPPY_BYTES - len(image)))
    return out


def final_status(text):
    """The status of the guest's last `guest: end status=N` line, or None."""
    m = None
    for m in END_RE.finditer(text):
        pass
    return int(m.group(1)) if m else None


def run(guest, cpu="corei7_skylake_x", cpus=1, megs=128, timeout=240, workdir=None, stream=None, bios="bochs"):
    """Boot guest from a floppy on bare Bochs (bios: emu.BIOSES's key); returns (status or None,
    serial text, Bochs log path)."""
    img = make_floppy(guest, os.path.join(workdir, "bare-floppy.img"))
    extra = 'floppya: 1_44="%s", status=inserted\n' % os.path.abspath(img)
    _, text, emu_log = emu.run(None, "bochs", cpu, cpus, timeout=timeout, workdir=workdir, megs=megs,
                               stream=stream, bochs_extra=extra, boot="floppy", bios=bios)
    return final_status(text), text, emu_log

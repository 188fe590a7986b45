"""Booting an ISO (or a network tree) in Bochs or QEMU, with the serial line to a file.

The run ends when the emulator exits (vmxlab powers off through Bochs's port 0x8900 or
QEMU's isa-debug-exit) or at the time limit; the outcome is read from the serial log's
final line `vmxlab: halted status=N`, never from a time-out."""
import os
import re
import subprocess
import sys
import tempfile
import time

STATUS_RE = re.compile(r"^vmxlab: halted status=(\d+)\s*$", re.M)
BOCHS_CPUS = ("corei7_skylake_x", "corei3_cnl", "tigerlake", "corei7_icelake_u", "broadwell_ult",
              "corei7_haswell_4770")


def bochsrc(iso, serial, log, cpu="corei7_skylake_x", cpus=1, megs=128, extra="", disk=None, floppy=None,
            boot=None):
    """A headless Bochs configuration. iso: the CD on ata0-master (None: no CD); disk: a flat
    hard-disk image on ata0-slave (the BIOS's drive 0x80); floppy: a 1.44 MB image as floppy A
    (drive 0x00). boot: cdrom, disk or floppy (default: the CD if there is one)."""
    boot = boot or ("cdrom" if iso else "disk" if disk else "floppy")
    drives = ""
    if iso:
        drives += 'ata0-master: type=cdrom, path="%s", status=inserted\n' % iso
    if disk:  # Bochs takes a flat image's geometry from its size (whole 16 x 63 cylinders)
        drives += 'ata0-slave: type=disk, path="%s", mode=flat\n' % disk
    if floppy:
        drives += 'floppya: 1_44="%s", status=inserted\n' % floppy
    return f"""romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
megs: {megs}
cpu: model={cpu}, count={cpus}, reset_on_triple_fault=0, ips=10000000
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
{drives}boot: {boot}
com1: enabled=1, mode=file, dev={serial}
display_library: rfb, options="timeout=0"
clock: sync=none, time0=local
port_e9_hack: enabled=1
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: {log}
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
{extra}"""


def final_status(text):
    m = None
    for m in STATUS_RE.finditer(text):
        pass
    return int(m.group(1)) if m else None


def _stream(path, pos, out):
    try:
        with open(path, "rb") as f:
            f.seek(pos)
            data = f.read()
    except FileNotFoundError:
        return pos
    if data and out:
        out.write(data.decode("utf-8", "replace").replace("\r", ""))
        out.flush()
    return pos + len(data)


def run(iso, emulator="bochs", cpu="corei7_skylake_x", cpus=1, serial_log=None, timeout=300, stream=None,
        workdir=None, megs=128, bochs_extra="", qemu_extra=()):
    """Boot iso; returns (status or None, serial text, emulator log path)."""
    workdir = workdir or tempfile.mkdtemp(prefix="vmxlab-run-")
    os.makedirs(workdir, exist_ok=True)
    serial_log = serial_log or os.path.join(workdir, "serial.log")
    if os.path.exists(serial_log):
        os.unlink(serial_log)
    open(serial_log, "w").close()
    if emulator == "bochs":
        emu_log = os.path.join(workdir, "bochs.log")
        rc = os.path.join(workdir, "bochsrc")
        with open(rc, "w") as f:
            f.write(bochsrc(os.path.abspath(iso), os.path.abspath(serial_log), emu_log, cpu, cpus, megs, bochs_extra))
        cont = os.path.join(workdir, "cont.rc")
        with open(cont, "w") as f:
            f.write("c\nquit\n")
        cmd = ["bochs", "-q", "-f", rc, "-rc", cont]
    elif emulator in ("qemu", "qemu-kvm"):
        emu_log = os.path.join(workdir, "qemu.log")
        cmd = ["qemu-system-x86_64", "-display", "none", "-serial", "file:" + serial_log, "-no-reboot",
               "-m", str(megs), "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-smp", str(cpus)]
        cmd += ["-accel", "kvm", "-cpu", "host"] if emulator == "qemu-kvm" else ["-accel", "tcg"]
        if iso:
            cmd += ["-cdrom", iso]
        cmd += list(qemu_extra)
    else:
        raise ValueError("unknown emulator " + emulator)
    with open(emu_log if emulator != "bochs" else os.devnull, "w") as elog:
        proc = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=elog, stderr=subprocess.STDOUT)
        pos, deadline = 0, time.time() + timeout
        while proc.poll() is None and time.time() < deadline:
            time.sleep(0.2)
            pos = _stream(serial_log, pos, stream)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            if stream:
                stream.write("\n[vmxlab run: %s killed after %d s without a status line]\n" % (emulator, timeout))
        _stream(serial_log, pos, stream)
    with open(serial_log, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    return final_status(text), text, emu_log


def host_has_nested_vmx():
    """QEMU with KVM is only an option on an Intel host with nested VMX."""
    try:
        with open("/proc/cpuinfo") as f:
            if " vmx " not in f.read():
                return False
        with open("/sys/module/kvm_intel/parameters/nested") as f:
            return f.read().strip() in ("Y", "1")
    except OSError:
        return False


if __name__ == "__main__":
    st, _, _ = run(sys.argv[1], stream=sys.stdout)
    sys.exit(0 if st == 0 else 1)

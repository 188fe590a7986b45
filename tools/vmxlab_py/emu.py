"""Booting an ISO (or a network tree) in Bochs or QEMU, with the serial line to a file.

The run ends when the emulator exits (vmxlab powers off through Bochs's port 0x8900 or
QEMU's isa-debug-exit) or at the time limit; the outcome is read from the serial log's
final line `vmxlab: halted status=N`, never from a time-out."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

STATUS_RE = re.compile(r"^vmxlab: halted status=(\d+)\s*$", re.M)
# the Bochs 2.7 CPU models vmxlab runs on (docs/cpu-models.md; tests/boot/matrix.cmake)
BOCHS_CPUS = ("corei7_skylake_x", "corei3_cnl", "tigerlake", "corei7_icelake_u", "broadwell_ult",
              "corei7_haswell_4770", "corei7_ivy_bridge_3770k", "corei7_sandy_bridge_2600k", "corei5_arrandale_m520")
# The system BIOS in Bochs: Bochs's own (the bochsbios package), or SeaBIOS, the firmware QEMU
# runs (the seabios package), so a Bochs run sees the BIOS tables and services a QEMU machine has.
BIOSES = {"bochs": "/usr/share/bochs/BIOS-bochs-latest", "seabios": "/usr/share/seabios/bios.bin"}
# Debian's SeaBIOS runs option ROMs only from PCI ROM BARs (it is built for QEMU), never the VGA
# BIOS Bochs copies to 0xC0000: without a PCI VGA card INT 10h does nothing. Bochs's pcivga
# card offers the same VGA BIOS image as its expansion ROM.
BIOS_EXTRA = {"bochs": "", "seabios": "pci: enabled=1, chipset=i440fx, slot1=pcivga\n"}
# Debian's Bochs 2.7 aborts at 16 CPUs ("register_timer: too many registered timers"); 15 start.
BOCHS_MAX_CPUS = 15
QEMU_MAX_CPUS = 255  # QEMU's pc machine


def bochs_models(run=subprocess.run):
    """Bochs's own list of CPU models (`bochs -help cpu`), or None when Bochs cannot say."""
    try:
        r = run(["bochs", "-help", "cpu"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, errors="replace", timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = r.stdout
    if "Supported CPU models:" not in text:
        return None
    models = []
    for line in text.split("Supported CPU models:", 1)[1].splitlines()[1:]:
        if not line.strip():
            if models:
                break
            continue
        if not re.match(r"^[a-z0-9_]+$", line.strip()):
            break
        models.append(line.strip())
    return models or None


def check_machine(emulator, cpu, cpus, models=None):
    """One line naming what is wrong with --cpu / --cpus for this emulator, or None. models:
    Bochs's list (bochs_models()), checked only for Bochs (QEMU ignores --cpu)."""
    top = BOCHS_MAX_CPUS if emulator == "bochs" else QEMU_MAX_CPUS
    if not 1 <= cpus <= top:
        return "--cpus %d: %s takes 1 to %d CPUs" % (cpus, "Bochs 2.7" if emulator == "bochs" else "QEMU", top)
    if emulator == "bochs" and models is not None and cpu not in models:
        vmx = [m for m in BOCHS_CPUS if m in models]
        return "--cpu %s: not a Bochs CPU model (with VMX: %s; every model: bochs -help cpu)" % (cpu, ", ".join(vmx))
    return None


def emulator_errors(path, emulator):
    """The lines of the emulator's own output that say why it stopped (Bochs: its error and
    panic lines, and the message it exits with; QEMU: everything it printed)."""
    try:
        with open(path, errors="replace") as f:
            lines = [l.rstrip("\n") for l in f]
    except OSError:
        return []
    if emulator != "bochs":
        return [l for l in lines if l.strip()][-10:]
    out = []
    for i, l in enumerate(lines):
        if re.match(r"^\d+[ep]\[", l) and "bxevent_callback" not in l:
            out.append(l)
        elif l.startswith("Bochs is exiting with the following message:") and i + 1 < len(lines):
            out.append("Bochs is exiting: " + lines[i + 1].strip())
    return out[-10:]


def kvm_preflight(dev="/dev/kvm", nested="/sys/module/kvm_intel/parameters/nested", cpuinfo="/proc/cpuinfo"):
    """Can QEMU with KVM give vmxlab nested Intel VMX here? None if so, else one line saying
    what is missing and how to turn it on. The paths are parameters for the tests."""
    try:
        with open(cpuinfo) as f:
            info = f.read()
    except OSError:
        return "cannot read %s to learn the host CPU" % cpuinfo
    m = re.search(r"^vendor_id\s*:\s*(\S+)", info, re.M)
    vendor = m.group(1) if m else "unknown"
    if vendor != "GenuineIntel":
        return ("the host CPU is %s, not Intel: KVM nests only the host's own virtualization (AMD SVM "
                "there) and vmxlab needs Intel VMX: use --emulator bochs, which emulates VMX" % vendor)
    flags = re.search(r"^flags\s*:(.*)$", info, re.M)
    if not flags or "vmx" not in flags.group(1).split():
        return ("the host CPU shows no vmx flag in %s: turn on Intel VT-x in the firmware setup (or, "
                "inside a VM, give that VM nested VMX)" % cpuinfo)
    if not os.path.exists(dev):
        return "no %s: load KVM for Intel: modprobe kvm_intel nested=1" % dev
    if not os.access(dev, os.R_OK | os.W_OK):
        return "no read/write access to %s: add this user to group kvm (adduser $USER kvm), or run as root" % dev
    try:
        with open(nested) as f:
            value = f.read().strip()
    except OSError:
        return "no %s: kvm_intel is not loaded: modprobe kvm_intel nested=1" % nested
    if value not in ("Y", "1"):
        return ("kvm_intel's nested parameter is %s (%s): turn it on: modprobe -r kvm_intel && modprobe "
                "kvm_intel nested=1 (for good: 'options kvm_intel nested=1' in /etc/modprobe.d/kvm.conf)"
                % (value, nested))
    return None


def bochsrc(iso, serial, log, cpu="corei7_skylake_x", cpus=1, megs=128, extra="", boot=None, disk=None,
            floppy=None, bios="bochs"):
    """A headless Bochs configuration. iso: the CD on ata0-master (None: no CD); disk: a flat
    hard-disk image on ata0-slave (the BIOS's drive 0x80); floppy: a 1.44 MB image as floppy A
    (drive 0x00). boot: cdrom, disk or floppy (default: the CD if there is one). bios: the
    system BIOS, a key of BIOSES."""
    boot = boot or ("cdrom" if iso else "disk" if disk else "floppy")
    drives = ""
    if iso:
        drives += 'ata0-master: type=cdrom, path="%s", status=inserted\n' % iso
    if disk:  # Bochs takes a flat image's geometry from its size (whole 16 x 63 cylinders)
        drives += 'ata0-slave: type=disk, path="%s", mode=flat\n' % disk
    if floppy:
        drives += 'floppya: 1_44="%s", status=inserted\n' % floppy
    return f"""romimage: file={BIOSES[bios]}
{BIOS_EXTRA[bios]}vgaromimage: file=/usr/share/vgabios/vgabios.bin
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


VGA_DUMP = "xp /4000bx 0xb8000"  # the 80x25 text screen: character and attribute bytes
XP_RE = re.compile(r"^0x[0-9a-f]+ <[^>]*>:((?:\s+0x[0-9a-f]{2})+)\s*$", re.M)


def parse_vga(debugger_out):
    """The text rows of an `xp /4000bx 0xb8000` dump (Bochs debugger output), or None."""
    data = bytearray()
    for m in XP_RE.finditer(debugger_out):
        data += bytes(int(b, 16) for b in m.group(1).split())
    if len(data) < 4000:
        return None
    chars = bytes(data[0:4000:2]).decode("cp437", "replace")
    return [chars[r * 80:(r + 1) * 80].rstrip() for r in range(25)]


def rfb_busy(emulator, emu_log):
    """Bochs stopped before booting because its rfb display found no free port (run() then
    runs it again)."""
    if emulator != "bochs" or not os.path.exists(emu_log):
        return False
    with open(emu_log, errors="replace") as f:
        return "RFB could not bind" in f.read()


def _copy_image(src, workdir):
    """Bochs locks a disk image while it runs: every run gets its own copy."""
    if not src:
        return None
    dst = os.path.join(workdir, "run-" + os.path.basename(src))
    if os.path.exists(dst + ".lock"):  # left by a Bochs that was killed: this copy is new, nobody holds it
        os.unlink(dst + ".lock")
    shutil.copyfile(src, dst)
    return dst


def run(iso, emulator="bochs", *args, **kwargs):
    """_run_once(), again (up to 4 runs in all) when Bochs stopped before booting because its
    rfb display found no free port: two Bochs starting at the same moment can both try 5900,
    and the loser then fails on every port of 5900-5949 (its PANIC line in bochs.log)."""
    for attempt in range(4):
        status, text, emu_log = _run_once(iso, emulator, *args, **kwargs)
        if status is not None or not rfb_busy(emulator, emu_log):
            break
        print("vmxlab: Bochs found no free RFB port (5900-5949), retrying", file=sys.stderr, flush=True)
        time.sleep(2 + 3 * attempt)
    return status, text, emu_log


def _run_once(iso, emulator="bochs", cpu="corei7_skylake_x", cpus=1, serial_log=None, timeout=300, stream=None,
              workdir=None, megs=128, bochs_extra="", qemu_extra=(), boot=None, disk=None, floppy=None, stall=None,
              stop_on=None, stop_delay=0, stop_after=None, result=None, bios="bochs"):
    """Boot iso (None: no CD) with an optional hard disk / floppy image (copied per run);
    returns (status or None, serial text, emulator log path). bios: Bochs's system BIOS, a key
    of BIOSES (QEMU always runs its own SeaBIOS).

    stall: stop the emulator when the serial log has grown by nothing while it used this many
    seconds of CPU (or three times as many seconds of wall time: a guest halted for good costs
    Bochs no CPU): a hung boot then costs a minute or two, not the whole timeout. CPU time,
    not wall time, so that a machine shared with other emulators does not fail a slow boot.
    stop_on: a regex; once a serial line matches it, wait stop_delay seconds, then interrupt
    Bochs (SIGINT into its debugger) and read the VGA text screen from it; stop_after: the same
    once the emulator has used this many seconds of CPU (a guest that writes only to the
    screen; CPU time, so a loaded machine does not stop it earlier in the guest's life). result (a dict) gets "ended" (exit, timeout, stall,
    stopped), "seconds", and "vga" (the 25 rows read at the stop, or None)."""
    workdir = workdir or tempfile.mkdtemp(prefix="vmxlab-run-")
    os.makedirs(workdir, exist_ok=True)
    result = result if result is not None else {}
    result.update(ended=None, vga=None, seconds=None)
    serial_log = serial_log or os.path.join(workdir, "serial.log")
    if os.path.exists(serial_log):
        os.unlink(serial_log)
    open(serial_log, "w").close()
    disk, floppy = _copy_image(disk, workdir), _copy_image(floppy, workdir)
    for stale in ("bochs.log", "bochs.out", "qemu.log"):  # an earlier run's: never read as this one's
        if os.path.exists(os.path.join(workdir, stale)):
            os.unlink(os.path.join(workdir, stale))
    emu_out = os.devnull
    if emulator == "bochs":
        emu_log = os.path.join(workdir, "bochs.log")
        emu_out = os.path.join(workdir, "bochs.out")  # the debugger's output (the VGA dump)
        rc = os.path.join(workdir, "bochsrc")
        with open(rc, "w") as f:
            f.write(bochsrc(os.path.abspath(iso) if iso else None, os.path.abspath(serial_log), emu_log, cpu, cpus,
                            megs, bochs_extra, disk=disk, floppy=floppy, boot=boot, bios=bios))
        cont = os.path.join(workdir, "cont.rc")
        with open(cont, "w") as f:  # after "c" returns (SIGINT), dump the screen and leave
            f.write("c\n%s\nquit\n" % VGA_DUMP)
        cmd = ["bochs", "-q", "-f", rc, "-rc", cont]
    elif emulator in ("qemu", "qemu-kvm"):
        emu_log = emu_out = os.path.join(workdir, "qemu.log")
        cmd = ["qemu-system-x86_64", "-display", "none", "-serial", "file:" + serial_log, "-no-reboot",
               "-m", str(megs), "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-smp", str(cpus)]
        cmd += ["-accel", "kvm", "-cpu", "host"] if emulator == "qemu-kvm" else ["-accel", "tcg"]
        if iso:
            cmd += ["-cdrom", iso]
        if disk:
            cmd += ["-drive", "file=%s,format=raw,index=1,media=disk" % disk]
        if floppy:
            cmd += ["-drive", "file=%s,format=raw,if=floppy" % floppy]
        if boot:
            cmd += ["-boot", {"cdrom": "d", "disk": "c", "floppy": "a"}[boot]]
        cmd += list(qemu_extra)
    else:
        raise ValueError("unknown emulator " + emulator)
    if bios != "bochs" and emulator != "bochs":
        raise ValueError("bios=%s: only Bochs takes another BIOS (QEMU runs SeaBIOS)" % bios)
    stop_rx = re.compile(stop_on, re.M) if stop_on else None
    with open(emu_out, "w") as elog:
        t0 = time.time()
        proc = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=elog, stderr=subprocess.STDOUT)
        pos, deadline, last_growth = 0, t0 + timeout, t0
        cpu_at_growth = 0.0
        stop_at = None
        while proc.poll() is None:
            time.sleep(0.2)
            now = time.time()
            new = _stream(serial_log, pos, stream)
            if new != pos:
                last_growth, cpu_at_growth = now, cpu_seconds(proc.pid)
            pos = new
            if stop_rx and stop_at is None and pos:
                with open(serial_log, "rb") as f:
                    if stop_rx.search(f.read().decode("utf-8", "replace").replace("\r", "")):
                        stop_at = now + stop_delay
            why = None
            if now >= deadline:
                why = "timeout"
            elif stall and (cpu_seconds(proc.pid) - cpu_at_growth >= stall or now - last_growth >= 3 * stall) \
                    and final_status_file(serial_log) is None:
                why = "stall"
            elif stop_at is not None and now >= stop_at:
                why = "stopped"
            elif stop_after and cpu_seconds(proc.pid) >= stop_after:
                why = "stopped"
            if why:
                result["ended"] = why
                _interrupt(proc, emulator)
                if stream and why != "stopped":
                    stream.write("\n[vmxlab run: %s stopped: %s after %.0f s]\n" % (
                        emulator, "no new serial output for %d s of its CPU time" % stall if why == "stall"
                        else "time limit",
                        now - t0))
                break
        result["seconds"] = time.time() - t0
        result["ended"] = result["ended"] or "exit"
        _stream(serial_log, pos, stream)
    if emulator == "bochs" and os.path.exists(emu_out):
        with open(emu_out, errors="replace") as f:
            result["vga"] = parse_vga(f.read())
    result["returncode"] = proc.returncode
    result["errors"] = emulator_errors(emu_out, emulator)
    with open(serial_log, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    return final_status(text), text, emu_log


def cpu_seconds(pid):
    """User + system CPU time of a running process (/proc/PID/stat), 0 when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def final_status_file(path):
    with open(path, "rb") as f:
        return final_status(f.read().decode("utf-8", "replace").replace("\r", ""))


def _interrupt(proc, emulator):
    """Bochs: SIGINT drops into its debugger, which runs the rest of cont.rc (the VGA dump,
    quit). Anything else, or a Bochs that does not leave: killed."""
    if emulator == "bochs":
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait()


def host_has_nested_vmx():
    """QEMU with KVM is only an option on an Intel host with nested VMX (kvm_preflight)."""
    return kvm_preflight() is None


if __name__ == "__main__":
    st, _, _ = run(sys.argv[1], stream=sys.stdout)
    sys.exit(0 if st == 0 else 1)

"""Real operating systems as guest disks, built from Debian packages at test time.

Nothing here needs root or a loop device, and no binary is committed: each image is made
from the packages' own files (apt-get download + dpkg-deb) with mtools, syslinux's mtools
installer and a cpio archive written by this module, and cached under build/realos/.

  linux.img        Debian 12's kernel + a busybox initramfs, syslinux on a FAT16 "superfloppy"
                   (no partition table: the BIOS boots its first sector as drive 0x80)
  linux-reboot.img the same, but /init ends with `reboot -f` instead of `poweroff -f`
  memtest.img      memtest86+ 6.10's memtest86+x64.bin padded to a 1.44 MB floppy
  grub.img         GRUB 2 (grub-pc-bin) in the MBR and the sectors after it, booting the same
                   Linux from a FAT16 partition at 1 MiB

The initramfs's /init prints MARKER (with the number of CPUs Linux brought up) on the serial
console, then ends the machine as the kernel command line's `vmxlab.end=` says
(poweroff, the default, or reboot). See docs/real-guests.md.
"""
import argparse
import glob
import gzip
import io
import os
import shutil
import struct
import subprocess
import sys

from . import paths

MARKER = "vmxlab-realos: userland reached"
# real-guests.md: keeps Linux on COM1 and quick; no workaround for vmxlab in here
LINUX_CMDLINE = ("console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 nokaslr mitigations=off "
                 "tsc=reliable panic=-1")
GRUB_PC = "/usr/lib/grub/i386-pc"
SYSLINUX_BIOS = "/usr/lib/syslinux/modules/bios"
FLOPPY_BYTES = 1474560  # 1.44 MB: 80 cylinders x 2 heads x 18 sectors
# Bochs takes a flat disk's geometry from its size: whole cylinders of 16 heads x 63 sectors
HEADS, SECTORS = 16, 63
CYLINDER = HEADS * SECTORS * 512

# /bin/tsc: prints the time-stamp counter (bench.py: in Bochs with `clock: sync=none` it counts
# emulated instructions since power-on, so "boot to userland" is an instruction count)
TSC_ASM = """; tsc: print the time-stamp counter in decimal and a newline, then exit (Linux x86-64 ELF)
BITS 64
org 0x400000
ehdr:
    db 0x7F, "ELF", 2, 1, 1, 0          ; 64-bit, little-endian, ELF version 1
    times 8 db 0
    dw 2                                ; ET_EXEC
    dw 0x3E                             ; EM_X86_64
    dd 1
    dq start
    dq phdr - $$
    dq 0
    dd 0
    dw ehdr_size
    dw phdr_size
    dw 1
    dw 0, 0, 0
ehdr_size equ $ - ehdr
phdr:
    dd 1, 5                             ; PT_LOAD, R+X
    dq 0, $$, $$
    dq file_size, file_size
    dq 0x1000
phdr_size equ $ - phdr
start:
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rsp, 32
    lea rsi, [rsp + 31]
    mov byte [rsi], 10
    mov ecx, 10
.digit:
    xor edx, edx
    div rcx
    add dl, '0'
    dec rsi
    mov [rsi], dl
    test rax, rax
    jnz .digit
    lea rdx, [rsp + 32]
    sub rdx, rsi                        ; length
    mov eax, 1                          ; write(1, rsi, rdx)
    mov edi, 1
    syscall
    mov eax, 60                         ; exit(0)
    xor edi, edi
    syscall
file_size equ $ - $$
"""

INIT = """#!/bin/sh
# vmxlab-realos /init (tools/vmxlab_py/images.py): report, then end the machine
tsc=$(/bin/tsc)
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
cpus=$(grep -c '^processor' /proc/cpuinfo)
echo "%(marker)s, cpus=$cpus"
echo "vmxlab-realos: tsc at /init $tsc"
end=poweroff
for word in $(cat /proc/cmdline); do
    case "$word" in vmxlab.end=*) end="${word#vmxlab.end=}";; esac
done
echo "vmxlab-realos: uptime $(cat /proc/uptime), ending with $end -f"
if [ "$end" = reboot ]; then reboot -f; else poweroff -f; fi
sleep 5
echo "vmxlab-realos: $end -f returned"
""" % {"marker": MARKER}

APPLETS = ("sh", "mount", "cat", "grep", "echo", "sleep", "poweroff", "reboot")


def cache_dir(build=None):
    return os.path.join(build or paths.BUILD, "realos")


def log(msg):
    print("images: " + msg, flush=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode:
        raise RuntimeError("%s failed (exit %d):\n%s" % (" ".join(cmd), r.returncode, r.stdout))
    return r.stdout


# ---- Debian packages, downloaded (not installed) ---------------------------------------

def real_package(name):
    """linux-image-amd64 is a metapackage: the package it depends on holds the kernel."""
    out = run(["apt-cache", "depends", name])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-image-" in line:
            return line.split(":", 1)[1].strip()
    raise RuntimeError("apt-cache depends %s names no linux-image-* (run apt-get update?)" % name)


def download(pkg, cache):
    """The .deb of pkg in cache/debs (apt-get download, once)."""
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    found = glob.glob(os.path.join(debs, pkg.replace("+", "?") + "_*.deb"))
    if found:
        return found[0]
    log("apt-get download " + pkg)
    run(["apt-get", "download", "-q", pkg], cwd=debs)
    found = glob.glob(os.path.join(debs, pkg.replace("+", "?") + "_*.deb"))
    if not found:
        raise RuntimeError("apt-get download %s left no .deb in %s" % (pkg, debs))
    return found[0]


def extract(deb, member, out):
    """One file (a tar glob, e.g. './boot/vmlinuz-*') of a .deb, copied to out."""
    tmp = out + ".x"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        r = subprocess.run(["tar", "-x", "-C", tmp, "--wildcards", member], stdin=tar.stdout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tar.stdout.close()
        if tar.wait() or r.returncode:
            raise RuntimeError("extracting %s from %s failed: %s" % (member, deb, r.stdout))
        got = glob.glob(os.path.join(tmp, member))
        if len(got) != 1:
            raise RuntimeError("%s holds %d files matching %s" % (deb, len(got), member))
        os.replace(got[0], out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---- the initramfs: a newc cpio written here, so that /dev/console needs no mknod --------

def _newc(name, mode, data=b"", rdev=(0, 0), ino=0):
    """One entry of the "new ASCII" cpio format (the kernel's initramfs format)."""
    name_b = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0)
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    pad = lambda n: b"\0" * ((4 - n % 4) % 4)  # noqa: E731
    return hdr + name_b + pad(len(hdr) + len(name_b)) + data + pad(len(data))


def make_tsc(out):
    src = out + ".asm"
    with open(src, "w") as f:
        f.write(TSC_ASM)
    run(["nasm", "-f", "bin", "-o", out, src])
    os.unlink(src)
    os.chmod(out, 0o755)
    return out


def make_initramfs(busybox, out, tsc=None):
    with open(busybox, "rb") as f:
        bb = f.read()
    entries = [("dev", 0o040755), ("proc", 0o040755), ("sys", 0o040755), ("bin", 0o040755)]
    buf = io.BytesIO()
    ino = 1
    for name, mode in entries:
        buf.write(_newc(name, mode, ino=ino))
        ino += 1
    buf.write(_newc("dev/console", 0o020600, rdev=(5, 1), ino=ino))
    ino += 1
    buf.write(_newc("bin/busybox", 0o100755, bb, ino=ino))
    ino += 1
    for applet in APPLETS:
        buf.write(_newc("bin/" + applet, 0o120777, b"busybox", ino=ino))
        ino += 1
    if tsc:
        with open(tsc, "rb") as f:
            buf.write(_newc("bin/tsc", 0o100755, f.read(), ino=ino))
        ino += 1
    buf.write(_newc("init", 0o100755, INIT.encode(), ino=ino))
    buf.write(_newc("TRAILER!!!", 0))
    with open(out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(buf.getvalue())
    return out


# ---- disks ----------------------------------------------------------------------------

def _blank(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def _cylinders_for(nbytes):
    return (nbytes + CYLINDER - 1) // CYLINDER


def syslinux_cfg(append):
    return ("SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\n"
            "LABEL linux\n  KERNEL vmlinuz\n  INITRD initrd.gz\n  APPEND %s\n" % append)


def make_syslinux_disk(out, kernel, initrd, append):
    """A FAT16 superfloppy (no partition table) with syslinux, the kernel and the initrd."""
    need = os.path.getsize(kernel) + os.path.getsize(initrd) + 4 * 1024 * 1024
    cyl = max(_cylinders_for(need), 40)
    tmp = out + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    run(["mkfs.fat", "-C", "-F", "16", "-g", "%d/%d" % (HEADS, SECTORS), "-n", "VMXLABOS", tmp,
         str(cyl * CYLINDER // 1024)])
    run(["syslinux", "--install", tmp])
    cfg = out + ".cfg"
    with open(cfg, "w") as f:
        f.write(syslinux_cfg(append))
    run(["mcopy", "-i", tmp, cfg, "::syslinux.cfg"])
    run(["mcopy", "-i", tmp, kernel, "::vmlinuz"])
    run(["mcopy", "-i", tmp, initrd, "::initrd.gz"])
    os.unlink(cfg)
    os.replace(tmp, out)
    return out


def _chs(lba):
    """Partition-table CHS triple of an LBA (capped at 1023 cylinders)."""
    c, rest = divmod(lba, HEADS * SECTORS)
    h, s = divmod(rest, SECTORS)
    if c > 1023:
        c, h, s = 1023, HEADS - 1, SECTORS - 1
    return bytes((h, ((c >> 2) & 0xC0) | (s + 1), c & 0xFF))


GRUB_MODULES = ("biosdisk", "part_msdos", "fat", "normal", "linux", "boot", "configfile", "echo", "test")
PART_START = 2048  # LBA of the FAT partition: 1 MiB, leaving room for core.img from LBA 1


def grub_cfg(append):
    return ("set timeout=0\nset default=0\n"
            "menuentry \"Linux (vmxlab real-OS image)\" {\n"
            "    echo 'grub.img: loading Linux'\n"
            "    linux /boot/vmlinuz %s\n    initrd /boot/initrd.gz\n    boot\n}\n" % append)


def make_grub_disk(out, kernel, initrd, append):
    """GRUB 2 on a disk as grub-install would put it, made by hand (grub-bios-setup wants a
    device): boot.img in the MBR, core.img (diskboot.img + the kernel and modules) from
    LBA 1, and a FAT16 partition at 1 MiB holding /boot/grub/grub.cfg, the kernel, the initrd."""
    cache = os.path.dirname(out)
    core = os.path.join(cache, "grub-core.img")
    run(["grub-mkimage", "-O", "i386-pc", "-d", GRUB_PC, "-o", core, "-p", "(hd0,msdos1)/boot/grub"]
        + list(GRUB_MODULES))
    core_b = open(core, "rb").read()
    if len(core_b) > (PART_START - 1) * 512:
        raise RuntimeError("core.img of %d bytes does not fit before LBA %d" % (len(core_b), PART_START))
    need = os.path.getsize(kernel) + os.path.getsize(initrd) + 4 * 1024 * 1024 + PART_START * 512
    cyl = max(_cylinders_for(need), 40)
    total = cyl * HEADS * SECTORS
    tmp = out + ".tmp"
    _blank(tmp, total * 512)
    with open(os.path.join(GRUB_PC, "boot.img"), "rb") as f:
        boot = bytearray(f.read())
    # grub-bios-setup on a hard disk: replace the boot-drive check's jmp with NOPs so that the
    # drive the BIOS passed in DL is used (GRUB_BOOT_MACHINE_DRIVE_CHECK = 0x66). The kernel
    # sector (0x5c) already defaults to 1 and diskboot.img's block list to "from LBA 2".
    boot[0x66:0x68] = b"\x90\x90"
    size = total - PART_START
    entry = (b"\x80" + _chs(PART_START) + b"\x06" + _chs(total - 1)
             + struct.pack("<II", PART_START, size))
    mbr = bytes(boot[:440]) + struct.pack("<IH", 0x766D786C, 0) + entry + bytes(48) + b"\x55\xaa"
    with open(tmp, "r+b") as f:
        f.write(mbr)
        f.seek(512)
        f.write(core_b)
    img = "%s@@%d" % (tmp, PART_START * 512)
    run(["mformat", "-i", img, "-T", str(size), "-h", str(HEADS), "-s", str(SECTORS), "-H", str(PART_START),
         "-v", "VMXLABGRUB", "::"])
    run(["mmd", "-i", img, "::boot", "::boot/grub"])
    cfg = out + ".cfg"
    with open(cfg, "w") as f:
        f.write(grub_cfg(append))
    run(["mcopy", "-i", img, cfg, "::boot/grub/grub.cfg"])
    run(["mcopy", "-i", img, kernel, "::boot/vmlinuz"])
    run(["mcopy", "-i", img, initrd, "::boot/initrd.gz"])
    os.unlink(cfg)
    os.replace(tmp, out)
    return out


def make_floppy(out, binary):
    with open(binary, "rb") as f:
        data = f.read()
    if len(data) > FLOPPY_BYTES:
        raise RuntimeError("%s is larger than a floppy" % binary)
    with open(out + ".tmp", "wb") as f:
        f.write(data + bytes(FLOPPY_BYTES - len(data)))
    os.replace(out + ".tmp", out)
    return out


# ---- what callers use -----------------------------------------------------------------

def linux_parts(cache):
    """(vmlinuz, initrd.gz) in cache, made once."""
    kernel = os.path.join(cache, "vmlinuz")
    if not os.path.exists(kernel):
        pkg = real_package("linux-image-amd64")
        extract(download(pkg, cache), "./boot/vmlinuz-*", kernel)
        log("kernel %s from %s" % (kernel, pkg))
    initrd = os.path.join(cache, "initrd.gz")
    if not os.path.exists(initrd) or os.path.getmtime(initrd) < os.path.getmtime(__file__):
        bb = os.path.join(cache, "busybox")
        if not os.path.exists(bb):
            extract(download("busybox-static", cache), "./bin/busybox", bb)
        make_initramfs(bb, initrd, make_tsc(os.path.join(cache, "tsc")))
        log("initramfs %s" % initrd)
    return kernel, initrd


def _fresh(out):
    return os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(__file__)


def linux_cmdline(end="poweroff", append=""):
    words = [LINUX_CMDLINE]
    if end != "poweroff":
        words.append("vmxlab.end=" + end)
    if append:
        words.append(append)
    return " ".join(words)


def image(name, build=None, append=""):
    """The path of image `name` (linux, linux-reboot, memtest, grub), built if missing.
    append: extra kernel words (for experiments; the image name then gets a suffix)."""
    cache = cache_dir(build)
    os.makedirs(cache, exist_ok=True)
    suffix = ("-" + "".join(c if c.isalnum() else "_" for c in append)[:40]) if append else ""
    out = os.path.join(cache, name + suffix + ".img")
    if _fresh(out):
        return out
    if name == "memtest":
        binary = os.path.join(cache, "memtest86+x64.bin")
        if not os.path.exists(binary):
            extract(download("memtest86+", cache), "./boot/memtest86+x64.bin", binary)
        make_floppy(out, binary)
    elif name in ("linux", "linux-reboot"):
        kernel, initrd = linux_parts(cache)
        end = "reboot" if name == "linux-reboot" else "poweroff"
        make_syslinux_disk(out, kernel, initrd, linux_cmdline(end, append))
    elif name == "grub":
        kernel, initrd = linux_parts(cache)
        make_grub_disk(out, kernel, initrd, linux_cmdline("poweroff", append))
    else:
        raise ValueError("unknown image %r (linux, linux-reboot, memtest, grub)" % name)
    log("%s (%d bytes)" % (out, os.path.getsize(out)))
    return out


NAMES = ("linux", "linux-reboot", "memtest", "grub")
KIND = {"linux": "disk", "linux-reboot": "disk", "grub": "disk", "memtest": "floppy"}


def cmd_images(a):
    from . import deps
    if deps.ensure(quiet=True):
        return 1
    for name in a.names or NAMES:
        print(image(name, append=a.append))
    return 0


def register(sub):
    s = sub.add_parser("images", help="build the real-OS guest images (Linux, memtest86+, GRUB) into build/realos/")
    s.add_argument("names", nargs="*", help="default: all of " + ", ".join(NAMES))
    s.add_argument("--append", default="", help="extra Linux command-line words (an experiment; own file name)")
    s.set_defaults(fn=cmd_images)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("names", nargs="*")
    p.add_argument("--append", default="")
    sys.exit(cmd_images(p.parse_args()))

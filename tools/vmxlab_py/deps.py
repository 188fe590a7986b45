"""Debian packages vmxlab needs, installed with apt-get (or the line printed when not root)."""
import os
import shutil
import subprocess
import sys

# package -> what needs it
PACKAGES = {
    "cmake": "build", "make": "build", "gcc": "build (kernel and host tests)", "nasm": "kernel and guest assembly",
    "libcmocka-dev": "host unit tests", "python3": "CLI and boot tests",
    "grub-pc-bin": "BIOS GRUB for the ISO and netboot tree", "grub-common": "grub-mkrescue, grub-mknetdir",
    "xorriso": "ISO images", "mtools": "grub-mkrescue",
    "bochs": "the VMX test machine", "bochsbios": "Bochs BIOS", "vgabios": "Bochs VGA BIOS",
    "seabios": "SeaBIOS, QEMU's firmware, also booted in Bochs (--bios seabios)",
    "qemu-system-x86": "fast machine without VMX, PXE", "ipxe-qemu": "PXE ROMs",
    "dnsmasq": "DHCP/TFTP for network boot", "python3-serial": "serial capture",
    "iproute2": "network namespaces for the PXE test",
    "apt": "apt-get download of the real-OS packages (images.py)",
    "dpkg": "dpkg-deb: files out of a downloaded package (images.py)",
    "dosfstools": "mkfs.fat for the real-OS disk images (images.py)",
    "syslinux": "syslinux's mtools installer for the Linux disk image (images.py)",
    "syslinux-common": "syslinux's BIOS modules (images.py)",
    "cpio": "reading the initramfs (images.py writes it itself)",
    "clang": "libFuzzer targets (tests/fuzz)",
    "libclang-rt-14-dev": "libFuzzer and sanitizer runtimes for clang (tests/fuzz)",
    "python3-hypothesis": "property tests of the log parser (tests/tools)",
}


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def missing():
    return [p for p in PACKAGES if not installed(p)]


def ensure(quiet=False):
    """Install what is missing; return 0 when everything is there."""
    todo = missing()
    if not todo:
        if not quiet:
            print("deps: all %d packages present" % len(PACKAGES))
        return 0
    line = "apt-get update && apt-get install -y " + " ".join(todo)
    if os.geteuid() != 0:
        print("deps: missing %s; run as root:\n  sudo sh -c '%s'" % (" ".join(todo), line), file=sys.stderr)
        return 1
    print("deps: installing " + " ".join(todo), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "update", "-qq"], env=env)
    if r.returncode == 0:
        r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + todo, env=env)
    if r.returncode != 0:
        print("deps: apt-get failed (exit %d)" % r.returncode, file=sys.stderr)
        return r.returncode
    still = missing()
    if still:
        print("deps: still missing after install: " + " ".join(still), file=sys.stderr)
        return 1
    return 0


def have(tool):
    return shutil.which(tool) is not None

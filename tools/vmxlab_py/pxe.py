"""GRUB netboot tree for vmxlab, dnsmasq configurations, and a dnsmasq runner.

Tree layout (DIR is the TFTP root; see docs/lab.md):

    DIR/boot/grub/i386-pc/core.0        PXE boot file (grub-mknetdir)
    DIR/boot/grub/grub.cfg              menu: one entry per guest, then the local disk and floppy
    DIR/boot/grub/grub.cfg-01-<mac>     per-machine config, MAC with dashes
    DIR/boot/grub/grub.cfg-<HEX IP>     per-machine (or per-subnet) config
    DIR/boot/vmxlab.elf                 the multiboot2 kernel
    DIR/boot/guests/<name>.bin          guest images (module2 ... guest)
    DIR/dnsmasq-full.conf               isolated lab: DHCP + TFTP (+ IPv6 RA)
    DIR/dnsmasq-proxy.conf              proxy-DHCP + TFTP beside a DHCP server

GRUB's netboot prefix is (tftp,<next-server>)/boot/grub, so the plain paths
/boot/... in grub.cfg load from the same TFTP server.  GRUB looks for
grub.cfg-01-<mac>, then grub.cfg-<HEX IP> shortened one digit at a time, and
only then grub.cfg: the first one found is the whole configuration, so the
per-machine files are complete menus, not fragments.
"""

import glob
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from . import chain

BOOTFILE = "boot/grub/i386-pc/core.0"
KERNEL_PATH = "boot/vmxlab.elf"
GUEST_DIR = "boot/guests"
GRUB_PLATFORM_DIR = "/usr/lib/grub/i386-pc"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")


class PxeError(Exception):
    """A user-facing error: printed without a traceback."""


# --- GRUB configuration --------------------------------------------------------

def mac_config_name(mac):
    """52:54:00:AB:cd:ef -> grub.cfg-01-52-54-00-ab-cd-ef (01 = Ethernet)."""
    if not MAC_RE.match(mac):
        raise PxeError("not a MAC address: %r (want 52:54:00:12:34:56)" % mac)
    return "grub.cfg-01-" + mac.lower().replace(":", "-")


def ip_config_name(ip):
    """10.77.0.12 -> grub.cfg-0A4D000C; 10.77.0.0/16 -> grub.cfg-0A4D.

    GRUB tries the full 8 hex digits, then drops one digit at a time, so a
    prefix that is a multiple of 4 bits names a whole subnet."""
    try:
        net = ipaddress.IPv4Network(ip, strict=False)
    except ValueError:
        raise PxeError("not an IPv4 address or subnet: %r" % ip)
    if net.prefixlen % 4 or net.prefixlen == 0:
        raise PxeError("subnet %s: the prefix length must be a multiple of 4 "
                       "(GRUB shortens the hex address one digit at a time)" % ip)
    hexip = "%08X" % int(net.network_address)
    return "grub.cfg-" + hexip[:net.prefixlen // 4]


def parse_cfg_opts(text):
    """`guest=memtest,cmdline=log=debug serial=on,timeout=0` -> dict.

    Comma-separated key=value items; the value runs to the next comma that
    starts another known key, so a kernel command line may contain '='."""
    known = ("guest", "cmdline", "timeout")
    opts = {}
    key = None
    for item in text.split(","):
        k, eq, v = item.partition("=")
        if eq and k in known:
            key = k
            opts[key] = v
        elif key is not None:
            opts[key] += "," + item
        else:
            raise PxeError("bad per-machine option %r: use guest=NAME, "
                           "cmdline=OPTS, timeout=SECONDS" % item)
    if "timeout" in opts and not opts["timeout"].isdigit():
        raise PxeError("timeout must be a whole number of seconds: %r"
                       % opts["timeout"])
    return opts


def _entry(name, cmdline):
    kernel = ("multiboot2 /%s %s" % (KERNEL_PATH, cmdline)).rstrip()
    lines = ['menuentry "vmxlab: %s" --id guest-%s {' % (name or "no guest",
                                                          name or "none"),
             '    echo "Loading vmxlab%s ..."' % (" with guest " + name if name else ""),
             "    " + kernel]
    if name:
        # the contract's "guest" word; the next word names the guest in vmxlab's log
        lines.append("    module2 /%s/%s.bin guest %s" % (GUEST_DIR, name, name))
    lines += ["    boot", "}"]
    return "\n".join(lines)


def _local_entry(ident, cmdline):
    """The machine's own disk/floppy under vmxlab (chain.py): a lab machine netboots vmxlab
    and then its own operating system."""
    title = chain.find(ident)[3]
    return "\n".join(['menuentry "%s" --id %s {' % (title, ident),
                      '    echo "Loading vmxlab to %s ..."' % title]
                     + chain.body(ident, "/" + KERNEL_PATH, cmdline) + ["}"])


def grub_cfg(guests, cmdline="", timeout=5, default=None, title=None, local=True):
    """A complete grub.cfg: serial + console terminal, one entry per guest, then (local)
    the entries that boot the machine's own disk and floppy under vmxlab.

    guests: names in menu order (an entry without a guest when empty).
    default: guest name (or local-disk, local-floppy) to select (first entry when None)."""
    names = list(guests) or [None]
    if default in chain.IDS and local:
        pass
    elif default is not None and default not in names:
        raise PxeError("unknown guest %r (have: %s)" % (default, ", ".join(
            n for n in names if n) or "none"))
    head = [
        "# %s" % (title or "vmxlab netboot menu"),
        "# Generated by `vmxlab pxe`; regenerate rather than edit.",
        "# Serial first: instructors read COM1 (115200 8N1); the screen too.",
        "serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1",
        "terminal_input serial console",
        "terminal_output serial console",
        "set timeout_style=menu",
        "set timeout=%d" % int(timeout),
        'set default="%s"' % (default if default in chain.IDS else
                              "guest-%s" % (default or names[0] or "none")),
        "",
        "",
    ]
    body = [_entry(n, cmdline) for n in names]
    if local:
        body += [_local_entry(ident, cmdline) for ident in chain.IDS]
    return "\n".join(head) + "\n\n".join(body) + "\n"


# --- dnsmasq configuration --------------------------------------------------

def dnsmasq_conf(mode, tftp_root, interface, dhcp_range=None, ipv6_ra=True,
                 log_file=None):
    """dnsmasq configuration text for mode 'full' or 'proxy'.

    full:  dnsmasq is the only DHCP server of an isolated lab network.
           dhcp_range like '10.77.0.100,10.77.0.199,255.255.255.0,1h'.
    proxy: another DHCP server hands out addresses; dnsmasq only adds the
           boot information (proxy-DHCP) and serves TFTP.
           dhcp_range is the lab subnet's address, like '192.168.1.0'."""
    if mode not in ("full", "proxy"):
        raise PxeError("mode must be full or proxy, not %r" % mode)
    root = os.path.abspath(tftp_root)
    out = [
        "# dnsmasq for vmxlab netboot (%s mode), generated by `vmxlab pxe`." % mode,
        "# Run: dnsmasq --no-daemon --conf-file=THIS-FILE   (or `vmxlab pxe-serve`)",
        "# No DNS (port 0): DHCP and TFTP only.",
        "port=0",
        "interface=%s" % interface,
        "bind-interfaces",
        "enable-tftp",
        "tftp-root=%s" % root,
        "log-dhcp",
    ]
    if log_file:
        out.append("log-facility=%s" % log_file)
    if mode == "full":
        out += [
            "",
            "# Isolated lab: hand out addresses and the boot file.",
            "dhcp-range=%s" % (dhcp_range or "10.77.0.100,10.77.0.199,255.255.255.0,1h"),
            "dhcp-authoritative",
            "dhcp-boot=%s" % BOOTFILE,
            "",
            "# iPXE: encapsulated option 175, sub-option 176 (no_pxedhcp) = 1:",
            "# do not wait for a ProxyDHCP answer that will never come (~3 s).",
            "dhcp-option=encap:175,176,1b",
        ]
        ra = [
            "",
            "# IPv6 router advertisements end iPXE's wait for IPv6",
            "# autoconfiguration (~13 s). Needs an IPv6 address on the",
            "# interface, e.g.: ip -6 addr add fd77::1/64 dev %s" % interface,
            "enable-ra",
            "dhcp-range=::,constructor:%s,ra-only" % interface,
        ]
        out += ra if ipv6_ra else ["#" + l if l and not l.startswith("#") else l
                                   for l in ra]
    else:
        out += [
            "",
            "# Proxy-DHCP: the existing DHCP server keeps handing out addresses;",
            "# dnsmasq answers PXE clients with the boot file only.",
            "dhcp-range=%s,proxy" % (dhcp_range or "192.168.1.0"),
            "dhcp-no-override",
            "# A single menu item with no pxe-prompt boots at once.",
            'pxe-service=x86PC,"vmxlab (GRUB netboot)",%s' % BOOTFILE,
        ]
    return "\n".join(out) + "\n"


# --- building the tree -----------------------------------------------------

def run_mknetdir(out, platform_dir=GRUB_PLATFORM_DIR):
    tool = shutil.which("grub-mknetdir")
    if tool is None:
        raise PxeError("grub-mknetdir not found: apt-get install grub-common "
                       "grub-pc-bin")
    if not os.path.isdir(platform_dir):
        raise PxeError("%s missing: apt-get install grub-pc-bin" % platform_dir)
    cmd = [tool, "--net-directory=" + out, "--subdir=boot/grub", "-d", platform_dir]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if p.returncode != 0:
        raise PxeError("%s failed (%d):\n%s" % (" ".join(cmd), p.returncode,
                                                 p.stdout))
    if not os.path.exists(os.path.join(out, BOOTFILE)):
        raise PxeError("grub-mknetdir made no %s" % BOOTFILE)


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def build_tree(out, kernel=None, guests=(), cmdline="", machines=(),
               timeout=5, interface="eth1", dhcp_range=None,
               proxy_subnet=None, mknetdir=True, platform_dir=GRUB_PLATFORM_DIR):
    """Make (or refresh) the netboot tree; returns the list of files written.

    guests:   [(name, file)]   machines: [(mac-or-ip, {opts})]"""
    out = os.path.abspath(out)
    names = [n for n, _ in guests]
    for n, f in guests:
        if not NAME_RE.match(n):
            raise PxeError("bad guest name %r (letters, digits, _ . -)" % n)
        if not os.path.isfile(f):
            raise PxeError("guest %s: no such file %s" % (n, f))
    if len(set(names)) != len(names):
        raise PxeError("guest names repeat: %s" % ", ".join(names))
    if kernel is not None and not os.path.isfile(kernel):
        raise PxeError("no such kernel %s (build it: tools/vmxlab build)" % kernel)
    per_machine = []
    for key, opts in machines:
        name = mac_config_name(key) if MAC_RE.match(key) else ip_config_name(key)
        per_machine.append((name, key, opts))

    os.makedirs(out, exist_ok=True)
    if mknetdir:
        run_mknetdir(out, platform_dir)
    written = []
    grubdir = os.path.join(out, "boot", "grub")
    os.makedirs(grubdir, exist_ok=True)
    if kernel is not None:
        dst = os.path.join(out, KERNEL_PATH)
        shutil.copyfile(kernel, dst)
        written.append(dst)
    gdir = os.path.join(out, GUEST_DIR)
    os.makedirs(gdir, exist_ok=True)
    for old in glob.glob(os.path.join(gdir, "*.bin")):   # the menu is the truth
        os.unlink(old)
    for n, f in guests:
        dst = os.path.join(gdir, n + ".bin")
        shutil.copyfile(f, dst)
        written.append(dst)

    for old in glob.glob(os.path.join(grubdir, "grub.cfg-*")):
        os.unlink(old)
    cfg = os.path.join(grubdir, "grub.cfg")
    _write(cfg, grub_cfg(names, cmdline, timeout))
    written.append(cfg)
    for name, key, opts in per_machine:
        path = os.path.join(grubdir, name)
        _write(path, grub_cfg(names, opts.get("cmdline", cmdline),
                              int(opts.get("timeout", timeout)),
                              default=opts.get("guest"),
                              title="vmxlab netboot menu for %s" % key))
        written.append(path)

    for mode, rng in (("full", dhcp_range), ("proxy", proxy_subnet)):
        path = os.path.join(out, "dnsmasq-%s.conf" % mode)
        _write(path, dnsmasq_conf(mode, out, interface, rng))
        written.append(path)
    return written


# --- serving ---------------------------------------------------------------

def find_dnsmasq():
    return shutil.which("dnsmasq") or next(
        (p for p in ("/usr/sbin/dnsmasq", "/sbin/dnsmasq") if os.access(p, os.X_OK)),
        None)


def interface_addresses(interface):
    """(IPv4Interface or None, has_global_ipv6) for an interface, via `ip -j`."""
    ip = shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip")
                                     if os.access(p, os.X_OK)), None)
    if ip is None:
        raise PxeError("the `ip` command is missing: apt-get install iproute2")

    def addrs(family):
        p = subprocess.run([ip, "-j", family, "addr", "show", "dev", interface],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           universal_newlines=True)
        if p.returncode != 0 or not p.stdout.strip():
            return []
        return [a for link in json.loads(p.stdout) for a in link.get("addr_info", [])]
    v4 = [a for a in addrs("-4")]
    v6 = [a for a in addrs("-6") if a.get("scope") == "global"]
    ip4 = ipaddress.IPv4Interface("%s/%s" % (v4[0]["local"], v4[0]["prefixlen"])) \
        if v4 else None
    return ip4, bool(v6)


def default_range(ip4):
    """A DHCP range inside the interface's subnet that avoids the server."""
    hosts = list(ip4.network.hosts()) if ip4.network.num_addresses <= 65536 \
        else [ip4.network.network_address + i for i in range(1, 255)]
    if len(hosts) < 4:
        raise PxeError("subnet %s is too small for DHCP clients" % ip4.network)
    half = len(hosts) // 2
    lo, hi = hosts[half], hosts[min(len(hosts) - 1, half + 99)]
    if lo <= ip4.ip <= hi:
        lo, hi = hosts[0], hosts[min(half - 1, 99)]
    return "%s,%s,%s,1h" % (lo, hi, ip4.netmask)


def serve(tree, interface, mode="full", log=None, dhcp_range=None, dry_run=False):
    """Run dnsmasq in the foreground for a tree; returns its exit status."""
    tree = os.path.abspath(tree)
    if not os.path.isfile(os.path.join(tree, BOOTFILE)):
        raise PxeError("%s is not a netboot tree (no %s): run `vmxlab pxe --out %s` "
                       "first" % (tree, BOOTFILE, tree))
    dnsmasq = find_dnsmasq()
    if dnsmasq is None:
        raise PxeError("dnsmasq not found: apt-get install dnsmasq-base")
    if os.geteuid() != 0 and not dry_run:
        raise PxeError("pxe-serve must run as root: dnsmasq binds the DHCP port "
                       "(67/udp) and the TFTP port (69/udp)")
    try:
        socket.if_nametoindex(interface)
    except OSError:
        raise PxeError("no such network interface %r here (see `ip link`)" % interface)
    ip4, has_v6 = interface_addresses(interface)
    if ip4 is None:
        raise PxeError("interface %s has no IPv4 address: dnsmasq cannot answer "
                       "DHCP on it (ip addr add 10.77.0.1/24 dev %s)"
                       % (interface, interface))
    if dhcp_range is None:
        dhcp_range = default_range(ip4) if mode == "full" else str(ip4.network.network_address)
    log = os.path.abspath(log or "dnsmasq-%s.log" % interface)
    conf = dnsmasq_conf(mode, tree, interface, dhcp_range,
                        ipv6_ra=has_v6, log_file=log)
    fd, conf_path = tempfile.mkstemp(prefix="vmxlab-dnsmasq-", suffix=".conf")
    with os.fdopen(fd, "w") as f:
        f.write(conf)
    os.chmod(conf_path, 0o644)
    cmd = [dnsmasq, "--no-daemon", "--conf-file=" + conf_path, "--pid-file="]
    try:
        test = subprocess.run([dnsmasq, "--test", "--conf-file=" + conf_path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        if test.returncode != 0:
            raise PxeError("dnsmasq rejects the configuration:\n%s\n%s"
                           % (test.stdout.strip(), conf))
        print("vmxlab pxe-serve: %s mode on %s (%s), TFTP root %s"
              % (mode, interface, ip4, tree))
        print("  dhcp-range %s%s" % (dhcp_range, "" if mode == "proxy" else
              (", IPv6 RA on" if has_v6 else
               ", no IPv6 address: iPXE will wait ~13 s for IPv6 (see docs/lab.md)")))
        print("  log %s; Ctrl-C stops" % log)
        sys.stdout.flush()
        if dry_run:
            print(conf, end="")
            return 0
        # SIGTERM to us (a test harness, systemd) stops dnsmasq too.
        def on_term(signum, frame):
            raise KeyboardInterrupt
        old_term = signal.signal(signal.SIGTERM, on_term)
        proc = subprocess.Popen(cmd)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGTERM, old_term)
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
    finally:
        os.unlink(conf_path)

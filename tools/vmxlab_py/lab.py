"""Lab subcommands for the vmxlab CLI: pxe, pxe-serve, capture.

tools/vmxlab calls register(subparsers); each subcommand sets `fn` (the name
tools/vmxlab_py/cli.py uses) and `func` to a function that takes the parsed
arguments and returns an exit code:

    args = parser.parse_args()
    sys.exit(args.fn(args))

`python3 -m vmxlab_py` (with tools/ on sys.path) runs these commands alone.
"""

import os
import sys

from . import iso
from . import capture as cap
from . import logparse
from . import pxe

DEFAULT_KERNEL = os.path.join("build", "vmxlab.elf")


def _split_pair(text, what):
    key, eq, value = text.partition("=")
    if not eq or not key or not value:
        raise pxe.PxeError("%s: want KEY=VALUE, got %r" % (what, text))
    return key, value


def cmd_pxe(args):
    try:
        guests = [_split_pair(g, "--guest NAME=FILE") for g in args.guest]
        macs = [_split_pair(m, "--mac MAC=CFG-OPTS") for m in args.mac]
        for k, _ in macs:  # a bad MAC is named as one (build_tree would try it as an IP)
            pxe.mac_config_name(k)
        machines = [(k, pxe.parse_cfg_opts(v)) for k, v in macs]
        machines += [(k, pxe.parse_cfg_opts(v)) for k, v in
                     (_split_pair(m, "--ip IP=CFG-OPTS") for m in args.ip)]
        for what, text in [("--cmdline", args.cmdline)] + [(k, o.get("cmdline")) for k, o in machines]:
            bad = iso.check_cmdline(text or "")  # it goes into grub.cfg as it is
            if bad:
                raise pxe.PxeError(bad if what == "--cmdline" else "%s: cmdline=%s" % (what, bad[len("--cmdline "):]))
        for key, opts in machines:
            if "guest" in opts and opts["guest"] not in [n for n, _ in guests]:
                raise pxe.PxeError("%s: guest=%s is not one of the --guest names"
                                   % (key, opts["guest"]))
        kernel = args.kernel
        if kernel is None and os.path.isfile(DEFAULT_KERNEL):
            kernel = DEFAULT_KERNEL
        written = pxe.build_tree(args.out, kernel, guests, args.cmdline or "",
                                 machines, args.timeout, args.interface,
                                 args.dhcp_range, args.proxy_subnet,
                                 platform_dir=args.grub_dir)
    except pxe.PxeError as e:
        print("vmxlab pxe: error: %s" % e, file=sys.stderr)
        return 2
    out = os.path.abspath(args.out)
    print("netboot tree %s (boot file %s)" % (out, pxe.BOOTFILE))
    for path in written:
        print("  " + os.path.relpath(path, out))
    if kernel is None:
        print("  warning: no kernel copied; pass --kernel build/vmxlab.elf "
              "(GRUB will look for /%s)" % pxe.KERNEL_PATH, file=sys.stderr)
    print("serve it: vmxlab pxe-serve %s --interface IF [--mode proxy]" % args.out)
    return 0


def cmd_pxe_serve(args):
    try:
        return pxe.serve(args.tree, args.interface, args.mode, args.log,
                         args.dhcp_range, dry_run=args.dry_run)
    except pxe.PxeError as e:
        print("vmxlab pxe-serve: error: %s" % e, file=sys.stderr)
        return 2


def cmd_capture(args):
    if args.summary:
        paths = [args.summary] + list(args.sources)
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            print("vmxlab capture: error: no such file or directory: %s"
                  % ", ".join(missing), file=sys.stderr)
            return 2
        boots = logparse.summarize(paths)
        sys.stdout.write(logparse.to_json(boots) if args.json
                         else logparse.format_table(boots))
        return 0
    if not args.sources or not args.out:
        print("vmxlab capture: error: give SOURCE... and --out DIR "
              "(or --summary DIR)", file=sys.stderr)
        return 2
    try:
        opened, finished = cap.capture(args.sources, args.out, args.boots,
                                       args.duration, err=sys.stderr)
    except (ValueError, OSError) as e:
        print("vmxlab capture: error: %s" % e, file=sys.stderr)
        return 2
    boots = logparse.summarize(opened) if opened else []
    if args.json:
        sys.stdout.write(logparse.to_json(boots))
    else:
        sys.stdout.write(logparse.format_table(boots))
    if args.boots is not None and len(finished) < args.boots * len(args.sources):
        return 1        # asked for N boots each and did not get them
    return 0


def register(subparsers):
    p = subparsers.add_parser(
        "pxe", help="build a GRUB netboot tree and dnsmasq configs",
        description="Build DIR as a TFTP root: GRUB's PXE image "
        "(boot/grub/i386-pc/core.0), the kernel, guests, a grub.cfg menu, "
        "per-machine configs, dnsmasq-full.conf and dnsmasq-proxy.conf.")
    p.add_argument("--out", required=True, metavar="DIR", help="tree to (re)build")
    p.add_argument("--kernel", metavar="ELF",
                   help="multiboot2 kernel (default: %s if it exists)" % DEFAULT_KERNEL)
    p.add_argument("--guest", action="append", default=[], metavar="NAME=FILE",
                   help="guest image; one menu entry each (repeatable)")
    p.add_argument("--cmdline", metavar="OPTS", default="",
                   help="kernel command line for every entry")
    p.add_argument("--mac", action="append", default=[], metavar="MAC=CFG-OPTS",
                   help="per-machine config grub.cfg-01-<mac>; CFG-OPTS is "
                   "comma-separated guest=NAME,cmdline=OPTS,timeout=S (repeatable)")
    p.add_argument("--ip", action="append", default=[], metavar="IP=CFG-OPTS",
                   help="per-machine config grub.cfg-<HEX IP>; IP may be a "
                   "subnet a.b.c.d/N with N a multiple of 4 (repeatable)")
    p.add_argument("--timeout", type=int, default=5, help="menu timeout, s (5)")
    p.add_argument("--interface", default="eth1",
                   help="interface named in the dnsmasq configs (eth1)")
    p.add_argument("--dhcp-range", metavar="RANGE",
                   help="full mode dhcp-range (10.77.0.100,10.77.0.199,255.255.255.0,1h)")
    p.add_argument("--proxy-subnet", metavar="ADDR",
                   help="proxy mode: the existing network's address (192.168.1.0)")
    p.add_argument("--grub-dir", default=pxe.GRUB_PLATFORM_DIR,
                   help="GRUB platform modules (%(default)s)")
    p.set_defaults(func=cmd_pxe, fn=cmd_pxe)

    p = subparsers.add_parser(
        "pxe-serve", help="serve a netboot tree with dnsmasq (foreground, root)",
        description="Run dnsmasq in the foreground for a tree made by `pxe`: "
        "DHCP (full) or proxy-DHCP (proxy) and TFTP on one interface. "
        "The DHCP range is derived from the interface's address.")
    p.add_argument("tree", metavar="DIR")
    p.add_argument("--interface", "-i", default="eth1", help="interface (eth1)")
    p.add_argument("--mode", choices=("full", "proxy"), default="full",
                   help="full: the lab's only DHCP server; proxy: beside one")
    p.add_argument("--log", metavar="FILE",
                   help="dnsmasq log file (dnsmasq-<interface>.log)")
    p.add_argument("--dhcp-range", metavar="RANGE", help="override the derived range")
    p.add_argument("--dry-run", action="store_true",
                   help="check and print the configuration, do not serve")
    p.set_defaults(func=cmd_pxe_serve, fn=cmd_pxe_serve)

    p = subparsers.add_parser(
        "capture", help="capture serial consoles, one log per boot; or summarize",
        description="Read serial consoles at once; write <machine>-<n>.log per "
        "boot (banner to final status line) and <machine>.console.log. "
        "SOURCE: [NAME=]/dev/ttyS0[@115200] | /dev/pts/N | file:PATH | "
        "tcp:HOST:PORT | listen:HOST:PORT.  With --summary DIR: table per boot.")
    p.add_argument("sources", nargs="*", metavar="SOURCE")
    p.add_argument("--out", metavar="DIR", help="directory for the logs")
    p.add_argument("--boots", type=int, metavar="N",
                   help="stop when every machine has finished N boots")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--summary", metavar="DIR",
                   help="summarize logs (a directory or files) instead of capturing")
    p.add_argument("--json", action="store_true", help="summary as JSON")
    p.set_defaults(func=cmd_capture, fn=cmd_capture)

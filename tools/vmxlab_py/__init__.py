"""Python side of vmxlab: build, ISO, emulators, tests, lab tools (standard library only).

Lab modules (Python standard library + Debian python3-* only):
  logparse  parse the kernel's serial log (docs/log-format.md) into boots
  pxe       build a GRUB netboot tree and dnsmasq configs; run dnsmasq
  capture   read many serial consoles at once, one log file per boot
  lab       argparse glue: register(subparsers) adds pxe, pxe-serve, capture
"""

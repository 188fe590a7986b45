"""`PYTHONPATH=tools python3 -m vmxlab_py CMD ...`: the lab commands alone,
for use before or without the main `tools/vmxlab` CLI."""

import argparse
import sys

from . import lab


def main(argv=None):
    parser = argparse.ArgumentParser(prog="vmxlab")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    lab.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

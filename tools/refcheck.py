#!/usr/bin/env python3
"""Every repository path that a comment, a document or a test names must exist: the
repository stands alone (a student who clones it finds no dead reference).

  tools/refcheck.py [ROOT]     prints one line per dead reference (FILE:LINE: PATH), exit 1 if any

A reference is a relative path that starts with one of the repository's top-level folders
(docs/NAME.md, vmx/NAME.c) or climbs out of the file's folder (../NAME), in any tracked text
file. Paths inside build/ and out/ (made by a build or a run), absolute paths (/boot/guest.bin
on the ISO, /dev/...) and URLs are not the repository's and are skipped; so are patterns with
NN, N, NAME, FILE, AREA, <...> or *. A document named alone (NAME.md) must exist somewhere in the
repository. Solution patches (docs/exercises/solutions/) are not read: they name the files they
change."""
import os
import re
import subprocess
import sys

EXTS = r"(?:md|c|h|asm|inc|py|cmake|ld|txt|patch|json|cfg|sh)"
# a path: optional ../ prefixes, then dir/ components, then a file with a known extension, or a
# directory path ending in /
PATH_RE = re.compile(r"(?<![\w./:-])((?:\.\./)*(?:[A-Za-z0-9_.+-]+/)+(?:[A-Za-z0-9_.+-]+\." + EXTS + r"|))(?![\w/-])")
SKIP_PREFIX = ("build", "out/", "/", "http", "www.")
PLACEHOLDER = re.compile(r"NN|(^|[/-])N\.|<|>|\*|\{|\}|\$|XXX|NAME|FILE|DIR|AREA|\.\.\.")


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=True).stdout
        return [f for f in out.decode().split("\0") if f]
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in (".git", "out") and not x.startswith("build")]
            files += [os.path.relpath(os.path.join(d, n), root) for n in names]
        return files


# the checker and its test name dead paths on purpose
SELF = ("tools/refcheck.py", "tests/tools/test_refcheck.py")
# a document named without its folder ("see NAME.md"): some file of that name must exist
DOC_RE = re.compile(r"(?<![\w./-])([A-Za-z0-9_-]+\.md)(?![\w/-])")


# notes outside the repository: a developer's machine, the steering folder beside a clone
OUTSIDE_RE = re.compile(r"(?<![\w./${}-])/work/\S*|\.\./sh" r"ared\S*|(?<![\w./-])sh" r"ared/docs\S*")


def dead_refs(root):
    top = {n for n in os.listdir(root) if not n.startswith(".")} | {".." + "/sh" + "ared", "sh" + "ared"}  # the outside folder, spelled as OUTSIDE_RE does
    files = tracked_files(root)
    basenames = {os.path.basename(f) for f in files}
    bad = []
    for rel in files:
        path = os.path.join(root, rel)
        if rel.endswith(".patch") or rel in SELF or not os.path.isfile(path):
            continue  # a solution patch names the files it changes, which it may add
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(lines, 1):
            for m in OUTSIDE_RE.finditer(line):
                bad.append((rel, n, m.group(0)))
            for m in DOC_RE.finditer(line):
                if m.group(1) not in basenames and not PLACEHOLDER.search(m.group(1)):
                    bad.append((rel, n, m.group(1)))
            for m in PATH_RE.finditer(line):
                ref = m.group(1).rstrip(".")
                if ref.startswith(SKIP_PREFIX) or PLACEHOLDER.search(ref):
                    continue
                first = ref.split("/")[0]
                if ref.startswith("../"):
                    stripped = ref
                    while stripped.startswith("../"):
                        stripped = stripped[3:]
                    if os.path.exists(os.path.normpath(os.path.join(os.path.dirname(path), ref))):
                        continue
                    bad.append((rel, n, ref))  # outside or missing: the repository must stand alone
                    continue
                if first not in top:
                    continue  # not a repository path (a path on the ISO, in a package, ...)
                if not os.path.exists(os.path.join(root, ref)):
                    bad.append((rel, n, ref))
    return bad


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    bad = dead_refs(root)
    for rel, n, ref in bad:
        print("%s:%d: %s does not exist in the repository" % (rel, n, ref))
    print("refcheck: %d dead reference%s" % (len(bad), "" if len(bad) == 1 else "s"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The repository stands alone: every repository path a comment, document or test names exists
(tools/refcheck.py), and nothing points at notes outside it."""

import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import refcheck  # noqa: E402


class RepoStandsAlone(unittest.TestCase):
    def test_no_dead_reference(self):
        bad = refcheck.dead_refs(ROOT)
        self.assertEqual(bad, [], "\n".join("%s:%d: %s" % b for b in bad))


class CheckerCanFail(unittest.TestCase):
    def tree(self, files):
        d = tempfile.mkdtemp(prefix="refcheck-")
        for rel, text in files.items():
            os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        subprocess.run(["git", "init", "-q", d], check=True)
        subprocess.run(["git", "-C", d, "add", "."], check=True)
        return d

    def test_finds_each_kind(self):
        d = self.tree({
            "vmx/a.c": "/* see vmx/gone.c and docs/here.md */\n",
            "docs/here.md": "Read ../sh" "ared/docs/notes.md, then lost-doc.md; build/x.bin is made.\n",
            "tests/t.py": "# as /wo" "rk/shared/docs/pxe.md says\n",
        })
        refs = sorted(r for _, _, r in refcheck.dead_refs(d))
        self.assertIn("vmx/gone.c", refs)
        self.assertIn("lost-doc.md", refs)
        self.assertTrue(any(r.startswith("../sh" "ared") for r in refs), refs)
        self.assertTrue(any(r.startswith("/wo" "rk/") for r in refs), refs)
        self.assertNotIn("docs/here.md", refs)
        self.assertFalse(any(r.startswith("build") for r in refs), refs)

    def test_cli_exit_status(self):
        d = self.tree({"docs/a.md": "see vmx/none.c\n", "vmx/x.c": ""})
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "refcheck.py"), d], stdout=subprocess.PIPE,
                           text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("docs/a.md:1: vmx/none.c does not exist in the repository", r.stdout)


if __name__ == "__main__":
    unittest.main()

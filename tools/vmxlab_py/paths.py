"""Where things are."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VMXLAB_BUILD", os.path.join(ROOT, "build"))
OUT = os.path.join(ROOT, "out")


def kernel_elf(build=None):
    return os.path.join(build or BUILD, "vmxlab.elf")


def guest_bin(name, build=None):
    """A guest by name (hello) from the build, or a path as given."""
    if os.sep in name or name.endswith(".bin"):
        return name
    return os.path.join(build or BUILD, "guests", name + ".bin")

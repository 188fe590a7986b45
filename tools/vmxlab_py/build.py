"""Configure and build with CMake."""
import os
import subprocess

from . import paths


def build(build_dir=None, quiet=False):
    build_dir = build_dir or paths.BUILD
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        r = subprocess.run(["cmake", "-S", paths.ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release"],
                           stdout=subprocess.DEVNULL if quiet else None)
        if r.returncode:
            return r.returncode
    return subprocess.run(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2)],
                          stdout=subprocess.DEVNULL if quiet else None).returncode

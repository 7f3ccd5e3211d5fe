"""Builds the Swift library (release, Swift runtime linked in) and bundles it into the
package, so that using it needs no compiler: `pip install ./python` from the repository root.
Needs what building MetaGRAPPA needs (Swift 6.1+, and OpenBLAS, LAPACKE, FFTW, HDF5 and zlib
from `scripts/install-deps`)."""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRATCH = os.path.join(ROOT, ".build-python")
LIBRARY = "libMetaGrappaC.so"


class BuildWithSwift(build_py):
    def run(self):
        super().run()
        subprocess.run(["swift", "build", "-c", "release", "--product", "MetaGrappaC", "-Xswiftc", "-static-stdlib",
                        "--scratch-path", SCRATCH, "--package-path", ROOT], check=True)
        target = os.path.join(self.build_lib, "metagrappa")
        os.makedirs(target, exist_ok=True)
        shutil.copy2(os.path.join(SCRATCH, "release", LIBRARY), os.path.join(target, LIBRARY))


class BinaryDistribution(Distribution):
    """The wheel holds a native library: tag it for this platform."""
    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithSwift}, distclass=BinaryDistribution)

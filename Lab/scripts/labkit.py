"""What the lab's scripts share: where the product, its release binary, the lab's executables
and the development data are, and the independent numpy computations they score with."""
import argparse
import os
import sys

import numpy as np

LAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(LAB)                                    # the product's repository
BINARY = os.path.join(ROOT, ".build", "release", "metagrappa")  # swift build -c release (in ROOT)
LAB_BUILD = os.path.join(LAB, ".build", "release")             # swift build -c release --package-path Lab
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")  # development data beside the repository
# The independent numpy GRAPPA (grappa_numpy.py) lives with the product's tests.
sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))


def lab_binary(name):
    """A lab executable (grappa-bench, grappa-auto-bench, meta-bench, ...)."""
    return os.path.join(LAB_BUILD, name)


def require_built(*paths):
    """Exits with the build command for whichever of the product's or the lab's binaries is missing."""
    for path in paths:
        if not os.path.exists(path):
            build = "--package-path Lab" if path.startswith(LAB_BUILD) else "--static-swift-stdlib"
            sys.exit(f"{path} missing: run `swift build -c release {build}` first")


def speed_arguments(runs, accel=4):
    """The arguments of the whole-process timing scripts: a fully sampled slice (the development
    32-coil 288 x 288 slice by default), R, ACS lines, runs."""
    p = argparse.ArgumentParser()
    p.add_argument("input", nargs="?", default=os.path.join(SHARED, "sim_brain_32ch_288x288_ch2.npy"))
    p.add_argument("--accel", type=type(accel), default=accel)
    p.add_argument("--acs", type=int, default=32)
    p.add_argument("--runs", type=int, default=runs)
    return p


def rss(k):
    """Root-sum-of-squares image of centred k-space [..., coils, ky, kx] (orthonormal FFT)."""
    im = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))
    return np.sqrt((np.abs(im) ** 2).sum(-3))


def nrmse(image, reference):
    return float(np.linalg.norm(image - reference) / np.linalg.norm(reference))


def uniform_mask(ny, r, acs):
    """The project's sampling rule: (ky - ny/2) mod R == 0 plus the centred ACS block."""
    ky = np.arange(ny)
    mask = (ky - ny // 2) % r == 0
    mask[ny // 2 - acs // 2: ny // 2 - acs // 2 + acs] = True
    return mask

"""What the lab's scripts share: where the product, its release binary, the lab's executables
and the development data are, and the independent numpy computations they score with."""
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

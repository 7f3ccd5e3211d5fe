#!/usr/bin/env python3
"""Two design measurements of the virtual conjugate coils (docs/grappa.md), with the project's
independent numpy GRAPPA (Tests/reference/grappa_numpy.py) on a development slice (Colin27
z = 100, noise 0.005, the paper's 32-coil array, 288², ACS 32), 2 x 7 kernel, best λ_rel of a
grid for each variant, NRMSE of the RSS image against the noise-free one:
  * the calibration positions where a reflected source is its own target: left out or kept;
  * the sources compressed to 32 / 24 / 16 / 12 principal components before reflecting.

Usage: python3 Lab/scripts/virtual_conjugate_probe.py [--cli .build/release/metagrappa]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))
import grappa_numpy  # noqa: E402

LAMBDAS = [3e-3, 1e-2, 3e-2, 0.1, 0.3]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(ROOT, ".build", "release", "metagrappa"))
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([a.cli, "simulate", "--brain", "100", "--noise", "0.005", "-o", f"{d}/n.npy", "--clean", f"{d}/c.npy"],
                       check=True, capture_output=True)
        k, clean = np.load(f"{d}/n.npy"), np.load(f"{d}/c.npy")
    reference = grappa_numpy.rss(clean)
    nrmse = lambda x: np.linalg.norm(grappa_numpy.rss(x) - reference) / np.linalg.norm(reference)
    ny = k.shape[1]
    for r in (4, 6):
        mask = grappa_numpy.uniform_mask(ny, r, 32)
        acquired = (k * mask[None, :, None]).astype(np.complex64)
        block = (ny // 2 - 16, ny // 2 + 16)
        best = lambda **kw: min(nrmse(grappa_numpy.grappa(acquired, mask, r, block, 2, 7, lam, virtual_conjugate=True, **kw))
                                for lam in LAMBDAS)
        plain = min(nrmse(grappa_numpy.grappa(acquired, mask, r, block, 2, 7, lam)) for lam in LAMBDAS)
        print(f"R = {r}: plain {plain:.5f}; virtual coils, leak positions left out {best():.5f}, kept {best(keep_leaks=True):.5f}; "
              + ", ".join(f"{m} components {best(compress_to=m):.5f}" for m in (32, 24, 16, 12)), flush=True)


if __name__ == "__main__":
    main()

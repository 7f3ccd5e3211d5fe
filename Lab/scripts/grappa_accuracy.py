#!/usr/bin/env python3
"""GRAPPA accuracy on the shared data: NRMSE of MetaGRAPPA (`metagrappa evaluate`) at
R = 2, 3, 4 next to the numpy reference with the same settings, the table of
shared/data/README.md, and zero-filling; plus a sweep of the relative Tikhonov weight.

Usage (after `swift build -c release`): python3 Lab/scripts/grappa_accuracy.py [--sweep]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from labkit import SHARED, BINARY  # first: puts grappa_numpy on the path
import grappa_numpy  # noqa: E402
from blas_kernel import print_kernel  # noqa: E402

DATA = SHARED

FILES = [("brain_16ch_96x96_mchiew.npy", 24), ("phantom_8ch_256x256_bydder.npy", 32),
         ("sim_brain_32ch_288x288_ch2.npy", 32)]
README = {"brain_16ch_96x96_mchiew.npy": (0.006, 0.011, 0.021), "phantom_8ch_256x256_bydder.npy": (0.026, 0.058, 0.148),
          "sim_brain_32ch_288x288_ch2.npy": (0.021, 0.029, 0.037)}
DEFAULT = 1e-4  # Grappa.defaultRegularization
LAMBDAS = [0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2]


def evaluate(path, r, acs, lam):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        run = subprocess.run([BINARY, "evaluate", path, "--accel", str(r), "--acs", str(acs), "--methods", "grappa",
                              "--lambda", str(lam), "--kernel-lines", "4", "--kernel-readout", "5", "--json", out], capture_output=True, text=True)
        if run.returncode != 0:
            return None, run.stderr.strip()
        j = json.load(open(out))
        return j["methods"][0]["nrmse"], j["zero_filled"]["nrmse"]


def numpy_nrmse(k, r, acs, lam=1e-3):
    ny = k.shape[1]
    mask = grappa_numpy.uniform_mask(ny, r, acs)
    a0, a1 = ny // 2 - acs // 2, ny // 2 - acs // 2 + acs
    while a0 > 0 and mask[a0 - 1]:
        a0 -= 1
    while a1 < ny and mask[a1]:
        a1 += 1
    out = grappa_numpy.grappa(k, mask, r, (a0, a1), lam=lam)
    full = grappa_numpy.rss(k.astype(np.complex128))
    return np.linalg.norm(grappa_numpy.rss(out.astype(np.complex128)) - full) / np.linalg.norm(full)


def main():
    print_kernel()
    print(f"| file | R | zero-filled | data README (numpy, λ 1e-3) | numpy reference (λ {DEFAULT:g}) | MetaGRAPPA (default λ {DEFAULT:g}) | difference to reference |")
    print("|---|---|---|---|---|---|---|")
    for name, acs in FILES:
        path = os.path.join(DATA, name)
        k = np.load(path)
        for i, r in enumerate((2, 3, 4)):
            ours, zf = evaluate(path, r, acs, DEFAULT)
            ref = numpy_nrmse(k, r, acs, DEFAULT)
            print(f"| {name} | {r} | {zf:.4f} | {README[name][i]:.3f} | {ref:.4f} | {ours:.4f} | {100 * (ours - ref) / ref:+.2f} % |")
    if "--sweep" not in sys.argv:
        return
    print("\nNRMSE against the relative Tikhonov weight λ_rel (`--lambda`):\n")
    print("| file | R | " + " | ".join(f"{lam:g}" for lam in LAMBDAS) + " |")
    print("|---|---|" + "---|" * len(LAMBDAS))
    ratios = {lam: [] for lam in LAMBDAS}
    for name, acs in FILES:
        path = os.path.join(DATA, name)
        for r in (2, 3, 4):
            row = [evaluate(path, r, acs, lam)[0] for lam in LAMBDAS]
            best = min(v for v in row if v is not None)
            for lam, v in zip(LAMBDAS, row):
                ratios[lam].append((v if v is not None else float("inf")) / best)
            print(f"| {name} | {r} | " + " | ".join("fails" if v is None else f"{v:.4f}" for v in row) + " |")
    print("| geometric mean of NRMSE / best per case | | " + " | ".join(
        f"{np.exp(np.mean(np.log(ratios[lam]))):.3f}" for lam in LAMBDAS) + " |")


if __name__ == "__main__":
    main()

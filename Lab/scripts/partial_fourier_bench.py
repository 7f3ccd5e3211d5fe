#!/usr/bin/env python3
"""Partial Fourier in phase: zero filling against POCS (`recon --partial-fourier pocs`).

Simulated scans (`metagrappa simulate --brain Z --noise S`: Colin27 slice Z through the paper's
32-coil array, 288², smooth phase) are undersampled at R with 24 reference lines and the first
(1 - F) · 288 lines never acquired; the default (automatic) GRAPPA reconstructs the acquired
region, the rest is zero-filled or completed by POCS. NRMSE of the RSS image against the
noise-free, fully sampled one (and, for the real scans, against the fully sampled noisy scan).

--iterations: POCS's error after 1 … 40 projections, computed by the numpy reference
(Tests/reference/pocs_numpy.py) on the library's zero-filled output (the library runs the same
projections on the same data), to choose the default on development slices.

Usage: python3 Lab/scripts/partial_fourier_bench.py [--slices 40,70,95] [--noises 0.002,0.005,0.0125]
       [--fractions 0.625,0.75,0.875] [--rates 2,3] [--real] [--iterations]
(after `swift build -c release --product metagrappa`; Colin27 z >= 110 is reserved: the final table only.)
"""
import argparse
import os
import subprocess
import tempfile

import numpy as np

from labkit import BINARY, SHARED, nrmse, require_built, rss, uniform_mask
import pocs_numpy

REAL = ["brain_16ch_96x96_mchiew.npy", "phantom_8ch_256x256_bydder.npy"]


def run(*args):
    r = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(r.stderr)


def reconstruct(d, acquired, mask, completion):
    np.save(f"{d}/acquired.npy", acquired)
    np.save(f"{d}/mask.npy", mask)
    run("recon", f"{d}/acquired.npy", "-o", f"{d}/out.npy", "--mask", f"{d}/mask.npy", "--partial-fourier", completion)
    return np.load(f"{d}/out.npy")


def pf_mask(ny, r, fraction):
    mask = uniform_mask(ny, r, 24)
    mask[:ny - int(round(fraction * ny))] = False
    return mask


SUMMARY = {}  # (noise or scan, R, fraction) -> [(zeros, pocs)]


def scan_rows(d, name, noisy, truth, a, group):
    reference = rss(truth)
    ny, nx = noisy.shape[1:]
    for r in a.rates:
        for fraction in a.fractions:
            mask = pf_mask(ny, r, fraction)
            acquired = (noisy * mask[None, :, None]).astype(np.complex64)
            zeros = reconstruct(d, acquired, mask, "zeros")
            row = f"{name:>24} R={r} {fraction:.3f}: zeros {nrmse(rss(zeros), reference):.4f}"
            if a.iterations:
                lines = np.zeros(ny, bool)
                lines[np.flatnonzero(mask)[0]:] = True
                readout = np.ones(nx, bool)
                row += "".join(f", pocs×{n} {nrmse(rss(pocs_numpy.pocs(zeros, lines, readout, n)), reference):.4f}"
                               for n in (1, 2, 5, 10, 20, 40))
            else:
                pocs = reconstruct(d, acquired, mask, "pocs")
                errors = (nrmse(rss(zeros), reference), nrmse(rss(pocs), reference))
                SUMMARY.setdefault((group, r, fraction), []).append(errors)
                row += f", pocs {errors[1]:.4f}"
            print(row, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--slices", default="40,70,95")
    p.add_argument("--noises", default="0.002,0.005,0.0125")
    p.add_argument("--fractions", default="0.625,0.75,0.875")
    p.add_argument("--rates", default="2,3")
    p.add_argument("--real", action="store_true", help="the shared real scans instead (reference: the fully sampled noisy scan)")
    p.add_argument("--iterations", action="store_true")
    a = p.parse_args()
    a.fractions = [float(f) for f in a.fractions.split(",")]
    a.rates = [int(r) for r in a.rates.split(",")]
    require_built(BINARY)
    with tempfile.TemporaryDirectory() as d:
        if a.real:
            for name in REAL:
                k = np.load(os.path.join(SHARED, name))
                scan_rows(d, name, k, k, a, name)
            return
        for z in a.slices.split(","):
            for noise in a.noises.split(","):
                run("simulate", "--brain", z, "--noise", noise, "-o", f"{d}/noisy.npy", "--clean", f"{d}/clean.npy")
                scan_rows(d, f"z={z} σ={noise}", np.load(f"{d}/noisy.npy"), np.load(f"{d}/clean.npy"), a, f"σ={noise}")
    print_summary()


def print_summary():
    """Mean errors and POCS ÷ zero filling (mean, range) per noise level, R and fraction."""
    for (group, r, fraction), pairs in sorted(SUMMARY.items()):
        ratios = [p / z for z, p in pairs]
        print(f"{group} R={r} {fraction:.3f}: zeros {np.mean([z for z, _ in pairs]):.4f}, pocs {np.mean([p for _, p in pairs]):.4f}, "
              f"pocs/zeros {np.mean(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) over {len(pairs)} scans")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Chooses GRAPPA's default regularisation against a NOISE-FREE reference.

Against a noisy fully sampled scan, noise amplification is partly hidden (METHOD.md §7),
so this sweep simulates 32-coil 288² slices of the Colin27 volume the way
shared/data/tools/make_sim.py does (smooth phase; 32 loops in 4 rings x 8; correlated
noise) and keeps the clean k-space. Only validation slices z in [100, 110) are used;
slices z >= 110 are the reserved test subject and are never read here.

Usage (after `swift build -c release`): python3 Lab/scripts/lambda_clean_reference.py
"""
import os
import subprocess
import tempfile

import numpy as np
from blas_kernel import print_kernel
from labkit import SHARED, BINARY, rss

VOLUME = os.path.join(SHARED, "ch2_colin27_t1_181x217x181_uint8.npy")
LAMBDAS = [0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
NOISE = [0.002, 0.004, 0.008, 0.016]
SLICES = [101, 104, 107]
N, NC = 288, 32


def fft2c(x):
    return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))




def simulate(vol, z, noise, rng):
    mag = vol[z].astype(np.float64) / 254.0
    img = np.zeros((N, N))
    oy, ox = (N - mag.shape[0]) // 2, (N - mag.shape[1]) // 2
    img[oy:oy + mag.shape[0], ox:ox + mag.shape[1]] = mag
    y, x = np.mgrid[:N, :N]
    Y, X = (y - N / 2) / (N / 2), (x - N / 2) / (N / 2)
    c = rng.uniform(-1, 1, 5)
    obj = img * np.exp(1j * np.pi * 0.6 * (c[0] * X + c[1] * Y + c[2] * X * X + c[3] * X * Y + c[4] * Y * Y))
    maps, centres = [], []
    for r, zr in enumerate((-0.3, -0.1, 0.1, 0.3)):
        for j in range(8):
            th = 2 * np.pi * j / 8 + (np.pi / 8) * (r % 2)
            cx, cy = np.cos(th), np.sin(th)
            d2 = (X - cx) ** 2 + (Y - cy) ** 2 + zr * zr
            maps.append(d2 ** -1.0 * np.exp(1j * (np.arctan2(Y - cy, X - cx) + 0.7 * r)))
            centres.append((cx, cy, zr))
    maps = np.array(maps)
    maps /= np.abs(maps).max()
    coil = maps * obj[None]
    clean = fft2c(coil)
    centres = np.array(centres)
    psi = np.eye(NC) + 0.25 * np.exp(-np.linalg.norm(centres[:, None] - centres[None], axis=-1) / 0.6)
    w = (rng.standard_normal((NC, N * N)) + 1j * rng.standard_normal((NC, N * N))) / np.sqrt(2)
    noisy = clean + (np.linalg.cholesky(psi) @ w).reshape(NC, N, N) * noise * np.abs(coil).max()
    s = np.abs(noisy).max()
    return (clean / s).astype(np.complex64), (noisy / s).astype(np.complex64)


def main():
    print_kernel()
    vol = np.load(VOLUME, mmap_mode="r")
    rng = np.random.default_rng(20261125)
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        for noise in NOISE:
            for z in SLICES:
                clean, noisy = simulate(vol, z, noise, rng)
                ref = rss(clean.astype(np.complex128))
                path = os.path.join(tmp, "in.npy")
                np.save(path, noisy)
                for r in (2, 3, 4):
                    for lam in LAMBDAS:
                        out = os.path.join(tmp, "out.npy")
                        subprocess.run([BINARY, "recon", path, "-o", out, "--accel", str(r), "--acs", "32",
                                        "--lambda", str(lam), "--kernel-lines", "4", "--kernel-readout", "5"], check=True)
                        e = np.linalg.norm(rss(np.load(out).astype(np.complex128)) - ref) / np.linalg.norm(ref)
                        table.setdefault((noise, r), {}).setdefault(lam, []).append(e)
    print("Mean NRMSE against the noise-free image (slices z = %s of Colin27, 32 coils, 288², ACS 32):\n" % SLICES)
    print("| noise σ/max | R | " + " | ".join(f"λ_rel {lam:g}" for lam in LAMBDAS) + " |")
    print("|---|---|" + "---|" * len(LAMBDAS))
    ratios = {lam: [] for lam in LAMBDAS}
    for (noise, r), row in sorted(table.items()):
        means = {lam: float(np.mean(v)) for lam, v in row.items()}
        best = min(means.values())
        for lam in LAMBDAS:
            ratios[lam].append(means[lam] / best)
        print(f"| {noise:g} | {r} | " + " | ".join(("**%.4f**" if means[lam] == best else "%.4f") % means[lam] for lam in LAMBDAS) + " |")
    print("| geometric mean of NRMSE / best | | " + " | ".join(f"{np.exp(np.mean(np.log(ratios[lam]))):.3f}" for lam in LAMBDAS) + " |")


if __name__ == "__main__":
    main()

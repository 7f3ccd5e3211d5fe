#!/usr/bin/env python3
"""3-D acquisitions at R = 4: 2 x 2 with and without a CAIPIRINHA shift against 4 x 1, on one
simulated volume each.

The volume: a slab of 48 partitions (1 mm) of Colin27 (z = FIRST ... FIRST + 47; 217 x 181
in-plane, zero-padded to 256 x 224), under a smooth 3-D phase, through the paper's 32-loop
array built in 3-D (4 rings at z = -0.3 ... 0.3 half-FOV units around the slab's centre,
|S| ~ 1 / (d^2 + dz^2), d in units of the 128 mm coil radius), complex Gaussian noise of sigma x the largest
coil-image magnitude. Scores: NRMSE of the 3-D RSS image against the noise-free one.

* `grappa3d 2x2`, `2x2 caipi` (shift 1), `4x1`: metagrappa.grappa3d (kernel across ky and
  kz), calibration box 24 partitions x 24 lines (4 x 1: 24 lines in every partition, as a
  scanner acquires them).
* `4x1 per plane`: the inverse FFT along kz, then the default (automatic) 2-D GRAPPA of each
  plane (metagrappa.grappa, 24 ACS lines).
--lambdas, --reaches, --windows: the 3-D kernel's error over λ_rel, the sources' reach and the
readout window (choosing the defaults on the development volume).

Usage: python3 Lab/scripts/grappa3d_bench.py [--first 0] [--noises 0.0005,0.001,0.002] [--lambdas 1e-4,...] [--reaches 1,2] [--windows 2,4,8]
(after `python3 -m pip install ./python`; FIRST = 71 reaches into the reserved slices: report only.)
"""
import argparse
import os
import time

import numpy as np

import metagrappa
from labkit import SHARED
import grappa3d_numpy

NZ, NY, NX, BOX, DEPTH = 64, 128, 112, 24, 110


def volume(first, noise, seed=11):
    brain = np.load(os.path.join(SHARED, "ch2_colin27_t1_181x217x181_uint8.npy"), mmap_mode="r")[first:first + DEPTH]
    brain = np.asarray(brain[:, :216, :180], float).reshape(DEPTH // 2, 2, 108, 2, 90, 2).mean((1, 3, 5)) / 255.0
    obj = np.zeros((NZ, NY, NX))
    (dz, dy, dx) = ((NZ - brain.shape[0]) // 2, (NY - brain.shape[1]) // 2, (NX - brain.shape[2]) // 2)
    obj[dz:dz + brain.shape[0], dy:dy + brain.shape[1], dx:dx + brain.shape[2]] = brain
    # Coordinates in units of 128 mm (the coils sit on a circle of 128 mm; 2 mm voxels).
    z, y, x = np.meshgrid((np.arange(NZ) - NZ // 2) / 64, (np.arange(NY) - NY // 2) / 64,
                          (np.arange(NX) - NX // 2) / 64, indexing="ij")
    obj = obj * np.exp(1j * (0.8 * x - 0.5 * y + 1.5 * z + 0.6 * x * y))
    images = np.empty((NZ, 32, NY, NX), np.complex64)
    for ring, zr in enumerate([-0.3, -0.1, 0.1, 0.3]):
        for j in range(8):
            th = 2 * np.pi * j / 8 + (np.pi / 8) * (ring % 2)
            dx, dy = x - np.cos(th), y - np.sin(th)
            s = np.exp(1j * (np.arctan2(dy, dx) + 0.7 * ring)) / (dx ** 2 + dy ** 2 + (z - zr) ** 2)
            images[:, ring * 8 + j] = s * obj
    images /= np.abs(images).max()
    clean = np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(images, axes=(0, 2, 3)), axes=(0, 2, 3), norm="ortho"),
                            axes=(0, 2, 3)).astype(np.complex64)
    rng = np.random.default_rng(seed)
    noisy = clean + (noise / np.sqrt(2) * (rng.standard_normal(clean.shape) + 1j * rng.standard_normal(clean.shape))).astype(np.complex64)
    return noisy, clean


def per_plane_grappa(acquired, lines_mask):
    planes = np.fft.fftshift(np.fft.ifft(np.fft.ifftshift(acquired, axes=0), axis=0, norm="ortho"), axes=0).astype(np.complex64)
    filled = np.stack([metagrappa.grappa(p, lines_mask) for p in planes])
    return np.fft.fftshift(np.fft.fft(np.fft.ifftshift(filled, axes=0), axis=0, norm="ortho"), axes=0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--noises", default="0.0005,0.001,0.002")
    p.add_argument("--lambdas", default="")
    p.add_argument("--reaches", default="")
    p.add_argument("--windows", default="")
    a = p.parse_args()
    grid = lambda text, kind: [kind(v) for v in text.split(",")] if text else [None]
    settings = [dict(lamda=lam, reach=reach, readout_window=window) for lam in grid(a.lambdas, float)
                for reach in grid(a.reaches, int) for window in grid(a.windows, int)]
    for noise in (float(v) for v in a.noises.split(",")):
        noisy, clean = volume(a.first, noise)
        truth = grappa3d_numpy.rss3d(clean)
        error = lambda k: np.linalg.norm(grappa3d_numpy.rss3d(k) - truth) / np.linalg.norm(truth)
        row = [f"z {a.first}-{a.first + DEPTH - 1} σ {noise}"]
        for name, ry, rz, shift, box in [("2x2", 2, 2, 0, (BOX, BOX)), ("2x2 caipi", 2, 2, 1, (BOX, BOX)), ("4x1", 4, 1, 0, (NZ, BOX))]:
            mask, _ = grappa3d_numpy.uniform_mask(NZ, NY, ry, rz, shift, box)
            acquired = noisy * mask[:, None, :, None]
            for setting in settings:
                started = time.time()
                out = metagrappa.grappa3d(acquired, mask, **setting)
                seconds = time.time() - started
                label = " ".join(f"{k} {v:g}" for k, v in setting.items() if v is not None)
                row.append(f"{name}{' ' + label if label else ''} {error(out):.4f} ({seconds:.1f} s)")
        row.append(f"fully sampled {error(noisy):.4f}")
        lines_mask = metagrappa.uniform_mask(NY, accel=4, acs=BOX)
        row.append(f"4x1 per plane {error(per_plane_grappa(noisy * lines_mask[None, None, :, None], lines_mask)):.4f}")
        print(",\n  ".join(row), flush=True)


if __name__ == "__main__":
    main()

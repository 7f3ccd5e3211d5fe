#!/usr/bin/env python3
"""3-D acquisitions accelerated along ky alone, reconstructed plane by plane after the inverse
FFT along kz: is each z plane best calibrated on its own, or once for the volume?

The volume: grappa3d_bench's simulated head (Colin27 at 2 mm under a smooth 3-D phase, the
paper's 32-loop array built in 3-D, 64 partitions x 128 x 112), R along ky with 24 ACS lines in
every partition, as a scanner acquires them. Variants, each scored by the NRMSE of the 3-D RSS
image against the noise-free one, with its in-process seconds:

* `per plane`: the default 2-D GRAPPA of every plane (support, λ and virtual conjugate coils
  chosen per plane: what `recon` does).
* `settings once`: support, λ and virtual conjugate coils chosen on the central plane, every
  plane then fitted on its own ACS with them.
* `kernel once`: the central plane's kernel applied to every plane.

Usage: python3 Lab/scripts/plane_calibration_bench.py [--first 0] [--rates 2,3,4] [--noises 0.0005,0.001,0.002]
(after `python3 -m pip install ./python`; FIRST = 71 reaches into the reserved slices: report only.)
"""
import argparse
import time

import numpy as np

import metagrappa
from grappa3d_bench import NZ, NY, BOX, volume  # (labkit, imported there, puts Tests/reference on the path)
import grappa3d_numpy


def along_kz(k, forward):
    f = np.fft.fft if forward else np.fft.ifft
    return np.fft.fftshift(f(np.fft.ifftshift(k, axes=0), axis=0, norm="ortho"), axes=0).astype(np.complex64)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--rates", default="2,3,4")
    p.add_argument("--noises", default="0.0005,0.001,0.002")
    a = p.parse_args()
    for noise in (float(v) for v in a.noises.split(",")):
        noisy, clean = volume(a.first, noise)
        truth = grappa3d_numpy.rss3d(clean)
        error = lambda k: np.linalg.norm(grappa3d_numpy.rss3d(k) - truth) / np.linalg.norm(truth)
        for r in (int(v) for v in a.rates.split(",")):
            mask = metagrappa.uniform_mask(NY, accel=r, acs=BOX)
            planes = along_kz(noisy * mask[None, None, :, None], forward=False)
            row = [f"z {a.first}+ σ {noise} R {r}"]
            started = time.time()
            filled = np.stack([metagrappa.grappa(p, mask) for p in planes])
            row.append(f"per plane {error(along_kz(filled, True)):.4f} ({time.time() - started:.1f} s)")
            started = time.time()
            centre = metagrappa.calibrate(planes[NZ // 2], mask)
            setting = dict(kernel=(centre.lines, centre.readout), lamda=centre.lamda,
                           virtual_conjugate="on" if centre.virtual_conjugate else "off")
            filled = np.stack([metagrappa.grappa(p, mask, **setting) for p in planes])
            row.append(f"settings once {error(along_kz(filled, True)):.4f} ({time.time() - started:.1f} s; "
                       f"{centre.lines}x{centre.readout} λ {centre.lamda:.3g}{' vcc' if centre.virtual_conjugate else ''})")
            started = time.time()
            filled = np.stack([centre.apply(p, mask) for p in planes])
            row.append(f"kernel once {error(along_kz(filled, True)):.4f} ({time.time() - started:.1f} s)")
            print(",\n  ".join(row), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The cost of GRAPPA across ky and kz on a full-size 3-D volume: 32 coils, 176 partitions x
256 lines x 224 readout samples (k-space [kz, coils, ky, kx]), 2 x 2 with a CAIPIRINHA shift
and a 24 x 24 calibration box. The data are a random 8 x 8-partition tile repeated (the cost
does not depend on the values); `--prepare-only` stops before the reconstruction, so that the
whole processes of

    python3 Lab/scripts/grappa3d_speed.py --prepare-only
    python3 Lab/scripts/grappa3d_speed.py

timed in turn (wall time and peak memory, e.g. `/usr/bin/time -v`) give the reconstruction's
cost as their difference.
"""
import argparse
import sys

import numpy as np

import metagrappa
from labkit import ROOT  # noqa: F401  (puts Tests/reference on the path)
import grappa3d_numpy

NZ, COILS, NY, NX = 176, 32, 256, 224


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--prepare-only", action="store_true")
    a = p.parse_args()
    rng = np.random.default_rng(5)
    tile = (rng.standard_normal((8, COILS, 8, NX)) + 1j * rng.standard_normal((8, COILS, 8, NX))).astype(np.complex64)
    k = np.tile(tile, (NZ // 8, 1, NY // 8, 1))
    mask, _ = grappa3d_numpy.uniform_mask(NZ, NY, 2, 2, 1, (24, 24))
    k *= mask[:, None, :, None]
    if a.prepare_only:
        return
    _, info = metagrappa.grappa3d(k, mask, return_info=True)
    print(f"reach {info['reach']}, {info['seconds']:.1f} s in the library", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""ISMRMRD's own accelerated phantom reconstructed from its own sampling pattern.

Generates, with `ismrmrd_generate_cartesian_shepp_logan` (noise-free, 128², 8 coils, with a
noise-calibration acquisition), a fully sampled file and an R = 4 file (four repetitions,
each on a shifted lattice, 32 calibration lines); runs `metagrappa recon acc.h5 -o out.npy`
without --accel/--mask; scores every repetition's RSS image against the fully sampled one,
whose k-space is assembled here independently with h5py.

Usage (after `swift build -c release`): python3 Lab/scripts/ismrmrd_phantom.py
"""
import os
import subprocess
import tempfile

import h5py
import numpy as np
from blas_kernel import print_kernel
from labkit import BINARY, rss

GENERATOR = "ismrmrd_generate_cartesian_shepp_logan"


def assemble(path, ny=128):
    """{repetition: k-space [coils, ky, kx]} of the imaging acquisitions (noise skipped)."""
    out = {}
    for rec in h5py.File(path, "r")["dataset/data"]:
        h = rec["head"]
        if h["flags"] & (1 << 18):  # ACQ_IS_NOISE_MEASUREMENT (bit 19)
            continue
        nc, ns = h["active_channels"], h["number_of_samples"]
        k = out.setdefault(int(h["idx"]["repetition"]), np.zeros((nc, ny, ns), np.complex64))
        k[:, h["idx"]["kspace_encode_step_1"], :] = rec["data"].view(np.complex64).reshape(nc, ns)
    return out




def main():
    print_kernel()
    with tempfile.TemporaryDirectory() as tmp:
        full, acc, out = (os.path.join(tmp, n) for n in ("full.h5", "acc.h5", "out.npy"))
        common = ["-m", "128", "-c", "8", "-n", "0", "-C"]
        subprocess.run([GENERATOR] + common + ["-o", full], check=True, capture_output=True)
        subprocess.run([GENERATOR] + common + ["-a", "4", "-w", "32", "-o", acc], check=True, capture_output=True)
        subprocess.run([BINARY, "recon", acc, "-o", out, "--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"],
                       check=True, capture_output=True)
        ref = rss(assemble(full)[0])
        acquired, recon = assemble(acc), np.load(out)
        nrmse = lambda k: np.linalg.norm(rss(k) - ref) / np.linalg.norm(ref)
        print("| repetition | zero-filled | GRAPPA (file's own lines) |\n|---|---|---|")
        for r in range(recon.shape[0]):
            print(f"| {r} | {nrmse(acquired[r]):.4f} | {nrmse(recon[r]):.4f} |")


if __name__ == "__main__":
    main()

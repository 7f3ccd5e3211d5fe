#!/usr/bin/env python3
"""The Python package against pygrappa (PyPI) on the same scans, in one process, side by
side: seconds in process and NRMSE of the RSS image against the fully sampled one.

Scans: the shared simulated 32-coil 288 x 288 slice and the real 16-channel 96 x 96 brain,
undersampled by R with a centred ACS block (metagrappa.uniform_mask). pygrappa gets the
same acquired lines and the ACS block as its calibration data; its kernels are (5, 5) on the
zero-filled grid with its own regularisation (lamda = 0.01 relative to its Gram matrix's
Frobenius norm); metagrappa.grappa runs with its defaults (4 lines x 5 readout, λ_rel 1e-4).

Usage (after `pip install ./python pygrappa scikit-image tqdm`):
    python3 Lab/scripts/python_vs_pygrappa.py [--repeats 3] [--methods cgrappa,mdgrappa]
"""
import argparse
import os
import time

import numpy as np

import metagrappa
import pygrappa
from blas_kernel import print_kernel
from labkit import SHARED

SHARED = SHARED


def nrmse(k, full):
    a, b = metagrappa.rss(k.astype(np.complex64)), metagrappa.rss(full)
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def best_of(repeats, f):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    print_kernel()
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--methods", default="cgrappa,mdgrappa")
    a = p.parse_args()
    scans = [("sim_brain_32ch_288x288_ch2.npy", 4, 32), ("sim_brain_32ch_288x288_ch2.npy", 2, 32),
             ("brain_16ch_96x96_mchiew.npy", 3, 24)]
    print(f"threads: metagrappa {metagrappa.threads()}; pygrappa single-threaded C/numpy")
    print("| scan | R | method | seconds (best of %d) | NRMSE | zero-filled NRMSE |" % a.repeats)
    print("|---|---|---|---|---|---|")
    for name, r, acs in scans:
        full = np.load(os.path.join(SHARED, name)).astype(np.complex64)
        ny = full.shape[1]
        mask = metagrappa.uniform_mask(ny, accel=r, acs=acs)
        acquired = (full * mask[None, :, None]).astype(np.complex64)
        first = ny // 2 - acs // 2
        calib = acquired[:, first:first + acs, :].copy()
        zero = nrmse(acquired, full)
        seconds, out = best_of(a.repeats, lambda: metagrappa.grappa(acquired, mask, kernel=(4, 5), lamda=1e-4))
        print(f"| {name} | {r} | metagrappa.grappa | {seconds:.3f} | {nrmse(out, full):.4f} | {zero:.4f} |", flush=True)
        for method in a.methods.split(","):
            f = getattr(pygrappa, method)
            k128, c128 = acquired.astype(np.complex128), calib.astype(np.complex128)
            seconds, out = best_of(a.repeats, lambda: f(k128, c128, kernel_size=(5, 5), coil_axis=0))
            out = np.asarray(out)
            # measured lines as measured, as metagrappa returns them
            out[:, mask, :] = acquired[:, mask, :]
            print(f"| {name} | {r} | pygrappa.{method} | {seconds:.3f} | {nrmse(out, full):.4f} | {zero:.4f} |", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Throughput of `metagrappa recon` on a multi-slice volume: slices per second, CPU use and
peak memory (GNU time's maximum resident set size), for each method, from a fastMRI .h5
volume to a fastMRI .h5 output.

The volume: the shared 32-coil 288 x 288 slice repeated with a different global phase and
scale per slice (the arithmetic does not depend on the content), written by h5py.

Usage (after `swift build -c release`):
    python3 Lab/scripts/volume_throughput.py [--slices 32] [--raki-slices 4] [--methods grappa,meta,raki]
"""
import argparse
import os
import re
import subprocess
import tempfile

import h5py
import numpy as np
from blas_kernel import print_kernel
from labkit import ROOT, SHARED, BINARY

SLICE = os.path.join(SHARED, "sim_brain_32ch_288x288_ch2.npy")


def write_volume(path, slices):
    k = np.load(SLICE)
    with h5py.File(path, "w") as f:
        d = f.create_dataset("kspace", shape=(slices, k.shape[0], k.shape[2], k.shape[1]), dtype=np.complex64)
        for s in range(slices):
            d[s] = (k * np.exp(1j * 0.3 * s) * (1 + 0.01 * s)).astype(np.complex64).transpose(0, 2, 1)

# The classic fixed GRAPPA settings these tables were measured with.
CLASSIC = ["--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"]


def run(volume, out, method, extra):
    cmd = ["/usr/bin/time", "-v", BINARY, "recon", volume, "-o", out, "--method", method,
           "--accel", "4", "--acs", "32"] + extra + (CLASSIC if method == "grappa" else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    field = lambda name: re.search(name + r": (.+)", r.stderr).group(1).strip()
    wall = field(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\)")
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return seconds, field("Percent of CPU this job got"), int(field(r"Maximum resident set size \(kbytes\)")) / 1024


def main():
    print_kernel()
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices", type=int, default=32)
    parser.add_argument("--raki-slices", type=int, default=4)
    parser.add_argument("--methods", default="grappa,meta,raki")
    a = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as tmp:
        print("| method | slices | wall s | slices/s | CPU | peak RSS MiB | volume MiB |")
        print("|---|---|---|---|---|---|---|")
        for method in a.methods.split(","):
            n = a.raki_slices if method == "raki" else a.slices
            volume = os.path.join(tmp, f"vol{n}.h5")
            if not os.path.exists(volume):
                write_volume(volume, n)
            seconds, cpu, rss = run(volume, os.path.join(tmp, "out.h5"), method, [])
            size = os.path.getsize(volume) / 2 ** 20
            print(f"| {method} | {n} | {seconds:.1f} | {n / seconds:.2f} | {cpu} | {rss:.0f} | {size:.0f} |", flush=True)


if __name__ == "__main__":
    main()

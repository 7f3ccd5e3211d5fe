#!/usr/bin/env python3
"""Side-by-side GRAPPA benchmark: MetaGRAPPA (stages in-process, and the whole `recon`
process) against the plain numpy reference (Tests/reference/grappa_numpy.py), in one run.

Usage (after `swift build -c release --static-swift-stdlib`):
    python3 Lab/scripts/run_grappa_benchmark.py [INPUT.npy] [--accel 4] [--acs 32] [--runs 10]
Prints Markdown tables for BENCHMARKS.md.
"""
import datetime
import os
import platform
import statistics
import subprocess
import tempfile
import time

import numpy as np

from labkit import BINARY, lab_binary, require_built, speed_arguments  # first: puts grappa_numpy on the path
import grappa_numpy  # noqa: E402
from blas_kernel import print_kernel  # noqa: E402


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    print_kernel()
    a = speed_arguments(runs=10).parse_args()
    binary = BINARY
    bench = lab_binary("grappa-bench")
    require_built(binary, bench)

    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; date {datetime.date.today()}; input {os.path.basename(a.input)}, "
          f"R={a.accel}, ACS={a.acs}\n")

    stages = subprocess.run([bench, a.input, str(a.accel), str(a.acs), str(a.runs)], check=True,
                            capture_output=True, text=True).stdout.strip().splitlines()
    print("| stage (in-process) | min ms | median ms |\n|---|---|---|")
    for line in stages[1:]:
        name, lo, med = line.split("\t")
        print(f"| {name} | {lo} | {med} |")

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.npy")
        walls = []
        for _ in range(a.runs):
            t = time.perf_counter()
            subprocess.run([binary, "recon", a.input, "-o", out, "--method", "grappa", "--accel", str(a.accel),
                            "--acs", str(a.acs), "--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"], check=True)
            walls.append(time.perf_counter() - t)
        ours = np.load(out)

    k = np.load(a.input)
    ny = k.shape[1]
    mask = grappa_numpy.uniform_mask(ny, a.accel, a.acs)
    a0, a1 = ny // 2 - a.acs // 2, ny // 2 - a.acs // 2 + a.acs
    while a0 > 0 and mask[a0 - 1]:
        a0 -= 1
    while a1 < ny and mask[a1]:
        a1 += 1
    computes = []
    for _ in range(max(3, a.runs // 3)):
        t = time.perf_counter()
        ref = grappa_numpy.grappa(k, mask, a.accel, (a0, a1))
        computes.append(time.perf_counter() - t)

    whole, numpy_compute = min(walls), min(computes)
    print("\n| measurement | min ms | median ms |\n|---|---|---|")
    print(f"| `metagrappa recon` whole process (read, calibrate, apply, write; {a.runs} runs) | "
          f"{whole * 1e3:.1f} | {statistics.median(walls) * 1e3:.1f} |")
    print(f"| numpy reference, compute only ({len(computes)} runs) | {numpy_compute * 1e3:.1f} | "
          f"{statistics.median(computes) * 1e3:.1f} |")
    print(f"\nRatio whole process / numpy compute (min over runs): **{whole / numpy_compute:.2f}** (goal ≤ 0.5)")
    full = grappa_numpy.rss(k.astype(np.complex128))

    def nrmse(x):
        return np.linalg.norm(grappa_numpy.rss(x.astype(np.complex128)) - full) / np.linalg.norm(full)

    print(f"NRMSE MetaGRAPPA {nrmse(ours):.4f}, numpy reference {nrmse(ref):.4f}; "
          f"max |difference| / max |k| = {np.abs(ours - ref).max() / np.abs(ref).max():.2e}")


if __name__ == "__main__":
    main()

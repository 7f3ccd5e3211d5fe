#!/usr/bin/env python3
"""Whole-process time of `metagrappa recon --method grappa` with the automatic support and
regularisation (the default), with the fixed 4 x 5 support and automatic lambda, and with the
fixed 4 x 5 kernel and lambda_rel 1e-4 (the classic settings), runs interleaved in one
session so that the ratios are fair on a noisy machine.

Usage (after `swift build -c release --static-swift-stdlib`):
    python3 Lab/scripts/grappa_auto_speed.py [INPUT.npy] [--accel 4,6] [--acs 32] [--runs 15]
Prints a Markdown table (min / median ms and the chosen kernel) for BENCHMARKS.md.
"""
import datetime
import os
import re
import statistics
import subprocess
import tempfile
import time

from run_grappa_benchmark import cpu_model  # noqa: E402
from blas_kernel import print_kernel  # noqa: E402
from labkit import BINARY, require_built, speed_arguments


def main():
    print_kernel()
    a = speed_arguments(runs=15, accel="4,6").parse_args()
    binary = BINARY
    require_built(binary)
    fixed = ["--kernel-lines", "4", "--kernel-readout", "5"]
    variants = {"automatic support and lambda (default)": [], "4x5, automatic lambda": fixed,
                "4x5, lambda 1e-4 (classic)": fixed + ["--lambda", "1e-4"]}
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; date {datetime.date.today()}; input {os.path.basename(a.input)}, "
          f"ACS {a.acs}, {a.runs} interleaved runs each, each to a new output file\n")
    print("| R | GRAPPA | whole process min ms | median ms | calibrate (median ms) | apply (median ms) | kernel |")
    print("|---|---|---|---|---|---|---|")
    for r in [int(x) for x in a.accel.split(",")]:
        walls = {v: [] for v in variants}
        cal = {v: [] for v in variants}
        app = {v: [] for v in variants}
        kernel = {}
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.npy")
            for _ in range(a.runs):
                for name, extra in variants.items():
                    if os.path.exists(out):
                        os.unlink(out)
                    t = time.perf_counter()
                    res = subprocess.run([binary, "recon", a.input, "-o", out, "--accel", str(r), "--acs", str(a.acs), "--timing"] + extra,
                                         check=True, capture_output=True, text=True)
                    walls[name].append((time.perf_counter() - t) * 1e3)
                    cal[name].append(float(re.search(r"calibrate ([0-9.]+) ms", res.stderr).group(1)))
                    app[name].append(float(re.search(r"apply ([0-9.]+) ms", res.stderr).group(1)))
                    kernel[name] = re.search(r"GRAPPA kernel: (.*)", res.stderr).group(1)
        for name in variants:
            w = walls[name]
            print(f"| {r} | {name} | {min(w):.0f} | {statistics.median(w):.0f} | {statistics.median(cal[name]):.0f} | "
                  f"{statistics.median(app[name]):.0f} | {kernel[name]} |")
        classic = statistics.median(walls["4x5, lambda 1e-4 (classic)"])
        for name in list(variants)[:2]:
            print(f"| {r} | ratio of medians, {name} / classic | {statistics.median(walls[name]) / classic:.2f} | | | | |")


if __name__ == "__main__":
    main()

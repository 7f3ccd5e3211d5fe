#!/usr/bin/env python3
"""Whole-process speed of `metagrappa recon` for GRAPPA (classic and automatic) and Meta-GRAPPA
(shipped models: both variants at R = 4, the paper variant at R = 5 and 6), interleaved in
one run so that the ratios are fair on a noisy machine.

Usage (after `swift build -c release --static-swift-stdlib`):
    python3 Lab/scripts/run_meta_speed.py [INPUT.npy] [--accel 4] [--acs 32] [--runs 15] [--baseline BINARY]
Prints a Markdown table for BENCHMARKS.md. With --baseline (e.g. a release build of an
earlier commit), the same runs of that binary are interleaved with these and a second
table compares whole-process times (its stage timings are not parsed).
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
    p = speed_arguments(runs=15)
    p.add_argument("--baseline", help="another metagrappa binary to time in the same runs")
    p.add_argument("--overwrite", action="store_true",
                   help="write each run over the previous run's output (default: the old output is deleted before the "
                        "timed run, as in a pipeline writing one new file per input; replacing an existing file makes "
                        "the kernel free the old one's pages inside the timed rename)")
    a = p.parse_args()
    binary = BINARY
    require_built(binary)
    methods = {"GRAPPA (4×5, λ 1e-4)": ["--method", "grappa", "--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"],
               "GRAPPA (automatic support and λ, the default)": ["--method", "grappa"],
               "meta, paper variant (shipped model)": ["--method", "meta", "--variant", "paper"]}
    if a.accel == 4:  # the residual variant ships for R = 4 only
        methods["meta, residual variant (shipped model)"] = ["--method", "meta", "--variant", "residual"]
    walls = {m: [] for m in methods}
    base = {m: [] for m in methods}
    stages = {m: [] for m in methods}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.npy")

        def fresh():
            if not a.overwrite and os.path.exists(out):
                os.unlink(out)
        for _ in range(a.runs):
            for name, args in methods.items():
                fresh()
                t = time.perf_counter()
                r = subprocess.run([binary, "recon", a.input, "-o", out, "--accel", str(a.accel), "--acs", str(a.acs),
                                    "--timing"] + args, check=True, capture_output=True, text=True)
                walls[name].append(time.perf_counter() - t)
                stages[name].append([float(x) for x in re.findall(r"([0-9.]+) ms", r.stderr)])
                if a.baseline:
                    fresh()
                    t = time.perf_counter()
                    subprocess.run([a.baseline, "recon", a.input, "-o", out, "--accel", str(a.accel), "--acs", str(a.acs)]
                                   + args, check=True, capture_output=True)
                    base[name].append(time.perf_counter() - t)
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; date {datetime.date.today()}; "
          f"input {os.path.basename(a.input)}, R={a.accel}, ACS={a.acs}, {a.runs} interleaved runs each, "
          f"{'over the previous output' if a.overwrite else 'each to a new output file'}\n")
    # --timing prints: open, calibrate (adapt), apply, waiting for reads/writes, commit, total.
    print("| method | whole process min ms | median ms | open | adapt / calibrate | apply | read + write | commit (medians, ms) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in methods:
        w = sorted(walls[name])
        med = [statistics.median(s[i] for s in stages[name]) for i in range(5)]
        print(f"| {name} | {w[0] * 1e3:.0f} | {statistics.median(w) * 1e3:.0f} | {med[0]:.0f} | {med[1]:.0f} | "
              f"{med[2]:.0f} | {med[3]:.0f} | {med[4]:.0f} |")
    if a.baseline:
        print(f"\nWhole process against {a.baseline} (same runs, interleaved):\n")
        print("| method | baseline min ms | baseline median ms | this build min ms | this build median ms |")
        print("|---|---|---|---|---|")
        for name in methods:
            b, w = sorted(base[name]), sorted(walls[name])
            print(f"| {name} | {b[0] * 1e3:.0f} | {statistics.median(b) * 1e3:.0f} | {w[0] * 1e3:.0f} | "
                  f"{statistics.median(w) * 1e3:.0f} |")


if __name__ == "__main__":
    main()

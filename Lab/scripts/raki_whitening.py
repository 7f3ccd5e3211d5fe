#!/usr/bin/env python3
"""Chooses RAKI's first-layer whitening ridge on simulated phantoms (never on the shared
files, which are the test data): three arrays, R = 2, 3, 4, 32 ACS lines, RAKI defaults
otherwise (automatic iterations, plateau stop, seed 1).

Usage (after `swift build -c release`): python3 Lab/scripts/raki_whitening.py [RIDGE ...]
Prints a Markdown table of NRMSE (zero-filled, GRAPPA, RAKI at each ridge; 0 = no
whitening) and each ridge's geometric-mean NRMSE over the nine cases.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
from blas_kernel import print_kernel
from labkit import BINARY

# name, simulate arguments: none of these is a shared file.
PHANTOMS = [
    ("8 rings, 256², noise 0.01", ["--coils", "8", "--matrix", "256", "--noise", "0.01", "--seed", "11"]),
    ("16 rings, 192², noise 0.005", ["--coils", "16", "--matrix", "192", "--noise", "0.005", "--seed", "12"]),
    ("paper 32-loop, 288², noise 0.005", ["--array", "paper", "--matrix", "288", "--noise", "0.005",
                                         "--object-scale", "0.85", "--seed", "13"]),
]


def evaluate(path, r, methods, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        subprocess.run([BINARY, "evaluate", path, "--accel", str(r), "--acs", "32", "--methods", methods,
                        "--json", out, "--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"] + list(extra),
                       check=True, capture_output=True)
        j = json.load(open(out))
        return j["zero_filled"]["nrmse"], {m["method"]: m["nrmse"] for m in j["methods"]}


def main():
    print_kernel()
    ridges = [float(a) for a in sys.argv[1:]] or [0, 0.3, 1, 3, 10]
    print("| phantom | R | zero-filled | GRAPPA | " + " | ".join(f"RAKI ridge {x:g}" for x in ridges) + " |")
    print("|---|---|---|---|" + "---|" * len(ridges))
    logs = [0.0] * len(ridges)
    cases = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in PHANTOMS:
            path = os.path.join(tmp, "phantom.npy")
            subprocess.run([BINARY, "simulate", "-o", path] + args, check=True, capture_output=True)
            for r in (2, 3, 4):
                zf, g = evaluate(path, r, "grappa")
                cells = []
                for i, ridge in enumerate(ridges):
                    e = evaluate(path, r, "raki", ["--whitening-ridge", str(ridge)])[1]["raki"]
                    logs[i] += math.log(e)
                    cells.append(f"{e:.4f}")
                cases += 1
                print(f"| {name} | {r} | {zf:.4f} | {g['grappa']:.4f} | " + " | ".join(cells) + " |", flush=True)
    print("| geometric mean | | | | " + " | ".join(f"{math.exp(l / cases):.4f}" for l in logs) + " |")


if __name__ == "__main__":
    main()

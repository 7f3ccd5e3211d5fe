#!/usr/bin/env python3
"""What prewhitening does to GRAPPA on Siemens raw data with correlated coil noise.

The files: the shared in-vivo 16-channel brain (XA61, 128 x 128), accelerated by R with 24
reference lines, with 128 noise-adjust readouts of a known coil covariance (correlated,
unequal variances) and noise of that covariance, times FACTOR, added to every acquired line
(Tests/reference/make_twix.py). Each is reconstructed by `metagrappa recon` with the
default prewhitening and with --no-prewhiten, on the physical coils and with SVD coil
compression; NRMSE of the RSS image against the original fully sampled scan (a real scan
whose own noise is far below the added noise at these factors).

Usage (after `swift build -c release`):
    python3 Lab/scripts/prewhitening.py [--factors 0.02,0.05] [--accel 3,4] [--virtual-coils 0,8,4]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from blas_kernel import print_kernel
from labkit import ROOT, SHARED, BINARY, rss

BRAIN = os.path.join(SHARED, "twix", "xa61_brain_16ch_gre_128.dat")
MAKE = os.path.join(ROOT, "Tests", "reference", "make_twix.py")




# The classic fixed GRAPPA settings these tables were measured with.
CLASSIC = ["--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"]


def main():
    print_kernel()
    p = argparse.ArgumentParser()
    p.add_argument("--factors", default="0.02,0.05")
    p.add_argument("--accel", default="3,4")
    p.add_argument("--virtual-coils", default="0,8,4")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as tmp:
        full = os.path.join(tmp, "full.npy")
        subprocess.run([BINARY, "convert", BRAIN, "-o", full], check=True)
        truth = rss(np.load(full))
        score = lambda path: np.linalg.norm(rss(np.load(path)) - truth) / np.linalg.norm(truth)
        print("| noise factor | R | coils | zero-filled | GRAPPA, not whitened | GRAPPA, prewhitened | ratio |")
        print("|---|---|---|---|---|---|---|")
        for factor in a.factors.split(","):
            for r in a.accel.split(","):
                scan = os.path.join(tmp, f"n{factor}_{r}.dat")
                subprocess.run([sys.executable, MAKE, BRAIN, scan, "--accel", r, "--acs", "24", "--noise", "128",
                                "--add-noise", factor, "--protocol-lines"], check=True, capture_output=True)
                acquired = os.path.join(tmp, "acq.npy")
                subprocess.run([BINARY, "convert", scan, "-o", acquired], check=True)
                for vc in a.virtual_coils.split(","):
                    extra = [] if vc == "0" else ["--virtual-coils", vc]
                    out = {}
                    for name, flag in [("plain", ["--no-prewhiten"]), ("white", [])]:
                        path = os.path.join(tmp, name + ".npy")
                        subprocess.run([BINARY, "recon", scan, "-o", path] + flag + extra + CLASSIC, check=True)
                        out[name] = score(path)
                    coils = "16" if vc == "0" else f"{vc} virtual"
                    print(f"| {factor} | {r} | {coils} | {score(acquired):.4f} | {out['plain']:.4f} | {out['white']:.4f} | "
                          f"{out['white'] / out['plain']:.3f} |", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Throughput and peak memory of `metagrappa recon` and `convert` on multi-slice Siemens raw
data, next to twixtools reading the same file into numpy.

The files: the shared in-vivo 16-channel brain (XA61, 128 x 128) accelerated by R = 4 with
24 reference lines, 128 noise-adjust readouts, repeated as S slices (each phase-rotated),
written by twixtools (Tests/reference/make_twix.py). Peak memory is GNU time's maximum
resident set size.

Usage (after `swift build -c release`):
    python3 Lab/scripts/twix_volume.py [--slices 16,256]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

from blas_kernel import print_kernel
from labkit import ROOT, SHARED, BINARY

BRAIN = os.path.join(SHARED, "twix", "xa61_brain_16ch_gre_128.dat")
MAKE = os.path.join(ROOT, "Tests", "reference", "make_twix.py")
TWIXTOOLS = """
import sys, numpy as np, twixtools
a = twixtools.map_twix(sys.argv[1], verbose=False)[-1]
image, ref = a['image'], a['refscan']
for x in (image, ref):
    x.flags['squeeze_singletons'] = True
k = image[:]
r = ref[:]
print(k.shape, r.shape)
"""


def timed(cmd):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr[-2000:]}")
    field = lambda name: re.search(name + r": (.+)", r.stderr).group(1).strip()
    wall = field(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\)")
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    return seconds, field("Percent of CPU this job got"), int(field(r"Maximum resident set size \(kbytes\)")) / 1024


# The classic fixed GRAPPA settings these tables were measured with.
CLASSIC = ["--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"]


def main():
    print_kernel()
    p = argparse.ArgumentParser()
    p.add_argument("--slices", default="16,256")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as tmp:
        print("| slices | file MiB | command | wall s | slices/s | CPU | peak RSS MiB |")
        print("|---|---|---|---|---|---|---|")
        for n in [int(s) for s in a.slices.split(",")]:
            vol = os.path.join(tmp, f"vol{n}.dat")
            subprocess.run([sys.executable, MAKE, BRAIN, vol, "--accel", "4", "--acs", "24", "--noise", "128",
                            "--protocol-lines", "--slices", str(n)], check=True, capture_output=True)
            size = os.path.getsize(vol) / 2**20
            runs = [
                ("recon --method grappa (prewhitened)", [BINARY, "recon", vol, "-o", os.path.join(tmp, "o.npy")] + CLASSIC),
                ("recon --method grappa --no-prewhiten", [BINARY, "recon", vol, "-o", os.path.join(tmp, "o.npy"), "--no-prewhiten"] + CLASSIC),
                ("convert to .npy", [BINARY, "convert", vol, "-o", os.path.join(tmp, "c.npy")]),
                ("twixtools map_twix, image + refscan to numpy", [sys.executable, "-c", TWIXTOOLS, vol]),
            ]
            for name, cmd in runs:
                seconds, cpu, rss = timed(cmd)
                print(f"| {n} | {size:.0f} | {name} | {seconds:.2f} | {n / seconds:.1f} | {cpu} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()

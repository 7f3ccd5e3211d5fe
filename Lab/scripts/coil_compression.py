#!/usr/bin/env python3
"""Accuracy and time against the number of SVD virtual coils (`--virtual-coils N`) on the
shared 32-coil 288 x 288 slice, R = 4, 32 ACS lines, for GRAPPA and RAKI (defaults).

Usage (after `swift build -c release`): python3 Lab/scripts/coil_compression.py
"""
import json
import os
import subprocess
import tempfile
from blas_kernel import print_kernel
from labkit import SHARED, BINARY

SLICE = os.path.join(SHARED, "sim_brain_32ch_288x288_ch2.npy")


def main():
    print_kernel()
    print("| virtual coils | GRAPPA NRMSE | GRAPPA s | RAKI NRMSE | RAKI s |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        for n in (32, 24, 16, 12, 8):
            subprocess.run([BINARY, "evaluate", SLICE, "--accel", "4", "--acs", "32", "--methods", "grappa,raki",
                            "--virtual-coils", str(n), "--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4", "--json", out], check=True, capture_output=True)
            m = {x["method"]: x for x in json.load(open(out))["methods"]}
            print(f"| {n} | {m['grappa']['nrmse']:.4f} | {m['grappa']['seconds']:.2f} | "
                  f"{m['raki']['nrmse']:.4f} | {m['raki']['seconds']:.1f} |", flush=True)


if __name__ == "__main__":
    main()

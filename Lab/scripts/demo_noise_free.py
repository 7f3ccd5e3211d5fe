#!/usr/bin/env python3
"""GRAPPA and Meta-GRAPPA on scripts/demo's phantom, scored against its noisy self (what the
demo report shows) and against the noise-free phantom: GRAPPA with the automatic support and
λ (the default) and with the classic 4 x 5, lambda_rel 1e-4 kernel; both shipped Meta-GRAPPA
variants.

Usage (after `swift build -c release --static-swift-stdlib`): python3 Lab/scripts/demo_noise_free.py
"""
import os
import subprocess
import tempfile

import numpy as np
from blas_kernel import print_kernel
from labkit import BINARY, nrmse, rss







def main():
    print_kernel()
    with tempfile.TemporaryDirectory() as tmp:
        noisy, clean = os.path.join(tmp, "phantom.npy"), os.path.join(tmp, "clean.npy")
        # The demo's phantom (scripts/demo), with its noise-free copy.
        subprocess.run([BINARY, "simulate", "-o", noisy, "--matrix", "288", "--array", "paper", "--object-scale", "0.7",
                        "--noise", "0.004", "--seed", "1", "--clean", clean], check=True, capture_output=True)
        reference, truth = rss(np.load(noisy)), rss(np.load(clean))
        print("| method | kernel | NRMSE vs the noisy phantom | NRMSE vs the noise-free phantom |")
        print("|---|---|---|---|")
        for name, extra in [("GRAPPA, automatic (default)", []),
                            ("GRAPPA, classic", ["--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"]),
                            ("meta `paper`", ["--method", "meta"]),
                            ("meta `residual`", ["--method", "meta", "--variant", "residual"])]:
            out = os.path.join(tmp, "out.npy")
            r = subprocess.run([BINARY, "recon", noisy, "-o", out, "--accel", "4", "--acs", "32", "--timing"] + extra,
                               check=True, capture_output=True, text=True)
            kernels = [line for line in r.stderr.splitlines() if line.startswith("GRAPPA kernel")]
            kernel = kernels[0].split(": ", 1)[1] if kernels else "–"
            image = rss(np.load(out))
            print(f"| {name} | {kernel} | {nrmse(image, reference):.4f} | {nrmse(image, truth):.4f} |")


if __name__ == "__main__":
    main()

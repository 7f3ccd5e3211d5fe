#!/usr/bin/env python3
"""RAKI against GRAPPA and zero-filling on the shared data, for hidden widths at equal
training time on the 32-coil slice (early stopping off, so the budget is what runs).

Usage (after `swift build -c release`): python3 Lab/scripts/raki_sweep.py [--learning-rates]
Prints Markdown tables: NRMSE (and RAKI's seconds) per setting, then RAKI and GRAPPA
over the ACS size; with --learning-rates, learning rate x iterations at widths 32, 8.
"""
import json
import os
import subprocess
import sys
import tempfile
from blas_kernel import print_kernel
from labkit import SHARED, BINARY

DATA = SHARED
FILES = [("brain_16ch_96x96_mchiew.npy", 24), ("phantom_8ch_256x256_bydder.npy", 32),
         ("sim_brain_32ch_288x288_ch2.npy", 32)]


def run(path, r, acs, methods, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        subprocess.run([BINARY, "evaluate", path, "--accel", str(r), "--acs", str(acs), "--methods", methods,
                        "--json", out, "--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"] + list(extra), check=True, capture_output=True)
        j = json.load(open(out))
        return j["zero_filled"]["nrmse"], {m["method"]: (m["nrmse"], m["seconds"]) for m in j["methods"]}


def table(labels, options, seconds):
    """One row per file and R: zero-filled, GRAPPA, then RAKI with each option list."""
    print("| file | R | zero-filled | GRAPPA | " + " | ".join(labels) + " |")
    print("|---|---|---|---|" + "---|" * len(labels))
    for name, acs in FILES:
        path = os.path.join(DATA, name)
        for r in (2, 3, 4):
            zf, g = run(path, r, acs, "grappa")
            cells = []
            for extra in options:
                res = run(path, r, acs, "raki", extra)[1]["raki"]
                cells.append(f"{res[0]:.4f} ({res[1]:.1f} s)" if seconds else f"{res[0]:.4f}")
            print(f"| {name} | {r} | {zf:.4f} | {g['grappa'][0]:.4f} | " + " | ".join(cells) + " |", flush=True)


def main():
    print_kernel()
    if "--learning-rates" in sys.argv:
        # Learning rate x iterations at RAKI's original widths (32, 8).
        settings = [(1e-3, 500), (3e-3, 500), (1e-2, 500), (1e-3, 1000), (3e-3, 1000), (1e-3, 2000), (3e-3, 2000)]
        table([f"lr {lr:g}, {it} it" for lr, it in settings],
              [["--hidden", "32,8", "--learning-rate", str(lr), "--iterations", str(it), "--plateau-window", str(it)]
               for lr, it in settings], seconds=False)
        return
    # Equal time on the 32-coil slice (~30 s): the joint network needs width (see BENCHMARKS.md).
    settings = [("32,8", 900), ("64,32", 450), ("128,64", 260)]
    table([f"RAKI {h}, {it} it" for h, it in settings],
          [["--hidden", h, "--iterations", str(it), "--plateau-window", str(it)] for h, it in settings], seconds=True)
    print("\nACS size, sim_brain_32ch_288x288_ch2.npy, R = 4, RAKI 64,32 with 450 iterations:\n")
    print("| ACS lines | zero-filled | GRAPPA | RAKI |\n|---|---|---|---|")
    path = os.path.join(DATA, "sim_brain_32ch_288x288_ch2.npy")
    for acs in (24, 32, 48, 64):
        zf, g = run(path, 4, acs, "grappa")
        _, res = run(path, 4, acs, "raki", ["--hidden", "64,32", "--iterations", "450", "--plateau-window", "450"])
        print(f"| {acs} | {zf:.4f} | {g['grappa'][0]:.4f} | {res['raki'][0]:.4f} |", flush=True)


if __name__ == "__main__":
    main()

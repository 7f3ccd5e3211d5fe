#!/usr/bin/env python3
"""RAKI at its defaults next to GRAPPA and zero-filling on the shared data, R = 2, 3, 4.

Usage (after `swift build -c release`): python3 Lab/scripts/raki_defaults.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from raki_sweep import DATA, FILES, run  # noqa: E402
from blas_kernel import print_kernel  # noqa: E402


def main():
    print_kernel()
    print("| file | R | zero-filled | GRAPPA | RAKI | RAKI seconds (training + application) |")
    print("|---|---|---|---|---|---|")
    for name, acs in FILES:
        path = os.path.join(DATA, name)
        for r in (2, 3, 4):
            zf, res = run(path, r, acs, "grappa,raki")
            print(f"| {name} | {r} | {zf:.4f} | {res['grappa'][0]:.4f} | {res['raki'][0]:.4f} | {res['raki'][1]:.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Summarises a grappa-auto-bench CSV for BENCHMARKS.md: per coil count and R, the NRMSE
(against the noise-free image) of the automatic choice, of the previous rule (lambda from the
lattice-line proxies too), of the classic fixed settings (4 x 5, lambda_rel 1e-4) and of the
best lambda for 4 x 5, each relative to the oracle (best support and lambda of the grid,
chosen on the noise-free image), mean and worst over scans, noise levels and ACS sizes; the
same per noise level; then the cases where the automatic choice is more than 3 % above the
oracle.

Usage: python3 Lab/scripts/grappa_auto_table.py OUT.csv [--column auto]
"""
import argparse
import collections
import csv
from blas_kernel import print_kernel


def main():
    print_kernel()
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("--column", default="auto")
    a = p.parse_args()
    rows = list(csv.DictReader(open(a.csv)))
    ratio = lambda x, c: float(x[c]) / float(x["oracle"])
    print(f"{len(rows)} cases; NRMSE / oracle NRMSE, mean and worst\n")
    def table(key, label):
        groups = collections.defaultdict(list)
        for x in rows:
            groups[key(x)].append(x)
        print(f"| {label} | cases | automatic | previous rule (proxies' λ) | classic 4×5, λ 1e-4 | 4×5, best λ | "
              "automatic worse than classic by > 1 % | floor |")
        print("|---|---|---|---|---|---|---|---|")
        for k, xs in sorted(groups.items()) + [("all", rows)]:
            cell = lambda c: f"{sum(ratio(x, c) for x in xs) / len(xs):.3f} / {max(ratio(x, c) for x in xs):.3f}"
            worse = sum(float(x[a.column]) > 1.01 * float(x["default"]) for x in xs)
            floor = f"{sum(ratio(x, 'floor') for x in xs) / len(xs):.3f}" if k != "all" else ""
            name = " | ".join(str(v) for v in k) if isinstance(k, tuple) else str(k) + " |" * label.count("|")
            print(f"| {name} | {len(xs)} | {cell(a.column)} | {cell('proxies_lambda')} | {cell('default')} | "
                  f"{cell('oracle_4x5')} | {worse} | {floor} |")
        print()

    table(lambda x: (int(x["array"]), int(x["R"])), "coils | R")
    table(lambda x: float(x["noise"]), "noise σ/max")
    allr = [ratio(x, a.column) for x in rows]
    within = sum(r <= 1.03 for r in allr)
    print(f"Within 3 % of the oracle: {within} of {len(rows)} cases.\n")
    print("| coils | scan | noise | R | ACS | automatic (support, λ_rel) | oracle (support, λ_rel) | automatic / oracle | fixed / oracle |")
    print("|---|---|---|---|---|---|---|---|---|")
    for x in sorted(rows, key=lambda x: -ratio(x, a.column)):
        if ratio(x, a.column) <= 1.03:
            break
        print(f"| {x['array']} | {x['scan']} | {x['noise']} | {x['R']} | {x['acs']} | {x['auto_support']}, "
              f"{float(x['auto_lambda']):.2g} | {x['oracle_support']}, {float(x['oracle_lambda']):.2g} | "
              f"{ratio(x, a.column):.3f} | {ratio(x, 'default'):.3f} |")


if __name__ == "__main__":
    main()

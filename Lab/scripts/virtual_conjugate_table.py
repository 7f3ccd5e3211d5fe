#!/usr/bin/env python3
"""Summarises `grappa-auto-bench VOLUME OUT.csv vcc ...` CSVs for BENCHMARKS.md: per group
(simulated array and noise level, or real scan) and R, the NRMSE of the default GRAPPA
(virtual conjugate coils chosen per scan), of the automatic GRAPPA without them, with them
forced on, and of the best setting with them, each relative to the best plain GRAPPA (oracle
over support x lambda without them, chosen on the reference image): mean / worst, and how
often the automatic choice took them.

Usage: python3 Lab/scripts/virtual_conjugate_table.py OUT.csv [OUT2.csv ...] [--per-case]
"""
import collections
import csv
import re
import sys


def group(name):
    m = re.match(r"(paper32|rings\d+|phantom\d+) .*σ=([\d.]+)", name)
    return f"{m.group(1)} σ={m.group(2)}" if m else name


def main():
    files = [a for a in sys.argv[1:] if not a.startswith("--")]
    rows = [row for f in files for row in csv.DictReader(open(f))]
    groups = collections.defaultdict(list)
    for row in rows:
        groups[(group(row["case"]), int(row["R"]))].append(row)
    has_on = any(row["oracle_on"] for row in rows)
    print(f"{len(rows)} cases; NRMSE / best plain GRAPPA (oracle), mean / worst\n")
    head = "| scans | R | n | default (auto) | automatic without | automatic, always with |" + (" best with |" if has_on else "") + " taken |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for (name, r), xs in sorted(groups.items()):
        ratio = lambda col: [float(x[col]) / float(x["oracle_off"]) for x in xs]
        cell = lambda col: f"{sum(ratio(col)) / len(xs):.3f} / {max(ratio(col)):.3f}"
        taken = sum(x["auto_choice"].startswith("on") for x in xs)
        print(f"| {name} | {r} | {len(xs)} | {cell('auto')} | {cell('auto_off')} | {cell('auto_on')} |"
              + (f" {cell('oracle_on')} |" if has_on else "") + f" {taken} of {len(xs)} |")
    if all(len(xs) == 1 for xs in groups.values()):
        # One case per scan and R (real scans): one row per scan, one column per R.
        rates = sorted({r for _, r in groups})
        print("\nPer scan, default / automatic without / best with (÷ best plain); * where the default took them\n")
        print("| scan | " + " | ".join(f"R = {r}" for r in rates) + " |")
        print("|---|" + "---|" * len(rates))
        for name in sorted({n for n, _ in groups}):
            cells = []
            for r in rates:
                x = groups.get((name, r), [None])[0]
                if x is None:
                    cells.append("")
                    continue
                o = float(x["oracle_off"])
                star = "*" if x["auto_choice"].startswith("on") else ""
                best = f" / {float(x['oracle_on']) / o:.2f}" if x["oracle_on"] else ""
                cells.append(f"{float(x['auto']) / o:.2f}{star} / {float(x['auto_off']) / o:.2f}{best}")
            print(f"| {name} | " + " | ".join(cells) + " |")
    if "--per-case" in sys.argv:
        print()
        for x in rows:
            o = float(x["oracle_off"])
            print(f"{x['case']} R={x['R']}: auto {float(x['auto']) / o:.3f} ({x['auto_choice']}), without {float(x['auto_off']) / o:.3f}, "
                  f"with {float(x['auto_on']) / o:.3f}")


if __name__ == "__main__":
    main()

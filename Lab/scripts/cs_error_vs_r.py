"""The figure of error against R for GRAPPA, cs and BART (docs/cs-error-vs-r.png) from the JSON of
cs_vs_bart.py run over R = 2…8:

    python3 Lab/scripts/cs_vs_bart.py --slices 120 140 --noise 0.005 --accel 2 3 4 5 6 7 8 --json out/sweepR.json
    python3 Lab/scripts/cs_error_vs_r.py out/sweepR.json docs/cs-error-vs-r.png
"""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    rows = json.load(open(sys.argv[1]))
    rs = sorted({r["R"] for r in rows})
    series = {"GRAPPA (automatic)": lambda r: r["cs"]["grappa"]["nrmse"],
              "cs (automatic λ)": lambda r: r["cs"]["cs auto"]["nrmse"],
              "BART pics -l1, best λ": lambda r: min(v["nrmse"] for v in r["bart"].values()),
              "BART pics -l1, λ 0.01": lambda r: r["bart"]["0.01"]["nrmse"] if "0.01" in r["bart"] else r["bart"][0.01]["nrmse"]}
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for (label, value), style in zip(series.items(), ["o-", "s-", "^--", "v:"]):
        means = [np.mean([value(r) for r in rows if r["R"] == R]) for R in rs]
        ax.plot(rs, means, style, label=label)
    slices = sorted({r["slice"] for r in rows})
    ax.set_xlabel("acceleration R (32 ACS lines)")
    ax.set_ylabel("NRMSE of the ESPIRiT-combined image")
    ax.set_title(f"Colin27 z = {', '.join(map(str, slices))}, paper array, noise {rows[0]['noise']}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()

"""Sparse SENSE (`recon --method cs`) against BART's ESPIRiT + l1-wavelet `pics` and the automatic
GRAPPA on simulated paper-array brain slices with a noise-free truth.

Every result is scored as `pics` returns an image: x = sum_c conj(s_c) img_c with BART's ESPIRiT maps of
the undersampled scan (`ecalib -m1 -r 32`), NRMSE against the same combination of the noise-free coil
images; and as the RSS image against the noise-free RSS. BART runs at each λ of a grid (its oracle is the
best) and at a common fixed choice; ours at its default and, with --cs-lambdas, over a grid.

    python3 Lab/scripts/cs_vs_bart.py --slices 40 60 --noise 0.005 0.0125 --accel 4 6
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labkit import BINARY, require_built, rss, nrmse, uniform_mask  # noqa: E402


def write_cfl(base, k):
    """[coils, ky, kx] complex64 as BART's [kx, ky, 1, coils] (the same bytes)."""
    c, ny, nx = k.shape
    with open(base + ".hdr", "w") as f:
        f.write(f"# Dimensions\n{nx} {ny} 1 {c} 1 1 1 1 1 1 1 1 1 1 1 1\n")
    k.astype(np.complex64).tofile(base + ".cfl")


def read_cfl(base, shape):
    return np.fromfile(base + ".cfl", np.complex64).reshape(shape)


def images(k):
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))


def timed(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)} failed: {r.stderr}")
    return time.perf_counter() - t, r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--slices", type=int, nargs="+", default=[40, 60])
    p.add_argument("--noise", type=float, nargs="+", default=[0.005, 0.0125])
    p.add_argument("--accel", type=int, nargs="+", default=[4, 6])
    p.add_argument("--acs", type=int, default=32)
    p.add_argument("--bart-lambdas", type=float, nargs="*", default=[3e-4, 1e-3, 3e-3, 1e-2, 3e-2])
    p.add_argument("--cs-lambdas", type=float, nargs="*", default=[])
    p.add_argument("--fixed", type=float, default=0.01, help="BART's common fixed λ")
    p.add_argument("--virtual-coils", type=int, nargs="*", default=[], help="also run cs at its default λ on these many virtual coils")
    p.add_argument("--no-grappa", action="store_true")
    p.add_argument("--binary", default=BINARY)
    p.add_argument("--json")
    a = p.parse_args()
    require_built(a.binary)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        f = lambda name: os.path.join(d, name)  # noqa: E731
        for z in a.slices:
            for noise in a.noise:
                subprocess.run([a.binary, "simulate", "--brain", str(z), "--noise", str(noise), "--seed", str(1000 + z),
                                "-o", f("full.npy"), "--clean", f("clean.npy")], check=True)
                full, clean = np.load(f("full.npy")), np.load(f("clean.npy"))
                c, ny, nx = full.shape
                for r in a.accel:
                    mask = uniform_mask(ny, r, a.acs)
                    und = full * mask[None, :, None]
                    write_cfl(f("und"), und)
                    t_ecalib, _ = timed(["bart", "ecalib", "-m1", "-r", "32", f("und"), f("maps")])
                    maps = read_cfl(f("maps"), (c, ny, nx))
                    combine = lambda k: (np.conj(maps) * images(k)).sum(0)  # noqa: E731
                    truth, truth_rss = combine(clean), rss(clean)
                    row = {"slice": z, "noise": noise, "R": r, "ecalib_s": t_ecalib, "bart": {}, "cs": {}}
                    for lam in sorted(set(a.bart_lambdas + ([a.fixed] if a.bart_lambdas else []))):
                        t, _ = timed(["bart", "pics", "-S", "-l1", "-r", str(lam), "-i", "100", f("und"), f("maps"), f("x")])
                        x = read_cfl(f("x"), (ny, nx))
                        row["bart"][lam] = {"nrmse": nrmse(x, truth), "rss_nrmse": nrmse(np.abs(x), truth_rss), "s": t}
                    runs = ([] if a.no_grappa else [("grappa", [])]) + [("cs", ["--lambda", str(lam)]) for lam in a.cs_lambdas] \
                        + [("cs", ["--virtual-coils", str(v)]) for v in a.virtual_coils] + [("cs", [])]
                    for method, extra in runs:
                        t, _ = timed([a.binary, "recon", f("full.npy"), "-o", f("out.npy"), "--accel", str(r), "--acs", str(a.acs),
                                      "--method", method] + extra)
                        out = np.load(f("out.npy"))
                        key = method if method == "grappa" else ("cs " + (" ".join(extra) if extra else "auto"))
                        row["cs"][key] = {"nrmse": nrmse(combine(out), truth), "rss_nrmse": nrmse(rss(out), truth_rss), "s": t}
                    best = min(row["bart"].items(), key=lambda kv: kv[1]["nrmse"]) if row["bart"] else (0, {"nrmse": float("nan"), "s": 0})
                    fixed = row["bart"].get(a.fixed, {"nrmse": float("nan")})["nrmse"]
                    print(f"z={z} noise={noise} R={r}: BART best λ {best[0]:g} {best[1]['nrmse']:.4f} "
                          f"(at {a.fixed:g}: {fixed:.4f}; ecalib {t_ecalib:.1f} s + pics {best[1]['s']:.1f} s) | "
                          + " | ".join(f"{k} {v['nrmse']:.4f} ({v['s']:.1f} s)" for k, v in row["cs"].items()), flush=True)
                    rows.append(row)
    if a.json:
        with open(a.json, "w") as out:
            json.dump(rows, out, indent=1)
    print(markdown(rows, a.fixed))


def markdown(rows, fixed):
    """Per scan: cs at its default against BART at its best λ and at `fixed`, and the automatic
    GRAPPA (ESPIRiT-combined NRMSE; RSS NRMSE in brackets), then the mean ratio."""
    lines = ["| z | noise | R | cs (automatic λ) | BART best λ | BART at best λ | cs / BART best | BART at %g | GRAPPA |" % fixed,
             "|---|---|---|---|---|---|---|---|---|"]
    ratios = []
    for r in rows:
        cs = r["cs"]["cs auto"]
        lam, best = min(r["bart"].items(), key=lambda kv: kv[1]["nrmse"])
        at = r["bart"].get(fixed) or r["bart"].get(str(fixed))
        ratios.append(cs["nrmse"] / best["nrmse"])
        lines.append(f"| {r['slice']} | {r['noise']} | {r['R']} | {cs['nrmse']:.4f} ({cs['rss_nrmse']:.4f}) | {float(lam):g} | "
                     f"{best['nrmse']:.4f} ({best['rss_nrmse']:.4f}) | {ratios[-1]:.3f} | "
                     + (f"{at['nrmse']:.4f}" if at else "–") + f" | {r['cs']['grappa']['nrmse']:.4f} |")
    lines.append(f"\nmean cs / BART best: {sum(ratios) / len(ratios):.3f}; largest {max(ratios):.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

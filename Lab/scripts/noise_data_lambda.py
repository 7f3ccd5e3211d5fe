#!/usr/bin/env python3
"""GRAPPA's automatic λ with the noise variance from a file's noise data, against the same
λ rule with the variance estimated from the scan, end to end through ISMRMRD files.

The scans: the development set of `grappa-auto-bench` (Colin27 z = 70 and 90 and a phantom,
simulated through ring arrays with correlated coil noise, noise-free k-space kept), dumped by
it as .npy. Each is undersampled (R, 32 ACS lines) and written as an ISMRMRD file with 128
noise acquisitions drawn from the coil covariance of the scan's own added noise, sampled at
twice the imaging dwell time (so at half its variance per sample, as a scanner's slower noise
scan gives). The file is reconstructed by `metagrappa recon` four ways:
  noise data  – as written: prewhitened, the automatic λ given the noise data's variance
                scaled by the dwell times;
  estimated   – the same file with the noise acquisitions' dwell time 0 (unknown): prewhitened
                the same way, the variance estimated from the scan as without noise data;
  unwhitened  – `--no-prewhiten` (neither);
  oracle λ    – prewhitened, the support the automatic rule chose, every λ_rel of a quarter-
                decade grid from 1e-6 to 100 and the two chosen above: the best on the
                noise-free image.
NRMSE of the RSS image against the noise-free one.

Usage (after `swift build -c release --product metagrappa` and `--product grappa-auto-bench`):
    python3 Lab/scripts/noise_data_lambda.py VOLUME [--arrays 8,12,20,32] [--noises ...] [--accel 2,3,4,5,6] [--csv OUT]
"""
import argparse
import glob
import os
import re
import subprocess
import tempfile

import numpy as np
from blas_kernel import print_kernel
from labkit import ROOT, BINARY, lab_binary, rss, uniform_mask
import ismrmrd_writer

BENCH = lab_binary("grappa-auto-bench")
IMAGING_DWELL, NOISE_DWELL = 2.5, 5.0
LAMBDAS = [10.0 ** (e / 4) for e in range(-24, 9)]

def write_ismrmrd(path, noisy, mask, noise, noise_dwell):
    ismrmrd_writer.write(path, noisy, mask, noise=noise, noise_dwell=noise_dwell, imaging_dwell=IMAGING_DWELL)


def recon(path, out, *flags):
    r = subprocess.run([BINARY, "recon", path, "-o", out, "--timing", *map(str, flags)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"recon {path} {flags} failed: {r.stderr}")
    k = np.load(out)
    m = re.search(r"GRAPPA kernel: (\d) lines × (\d) readout, λ_rel (\S+)", r.stderr)
    v = re.search(r"noise variance per sample from the noise data: (\S+)", r.stderr)
    return k.reshape(k.shape[-3:]), m.groups() if m else None, float(v.group(1)) if v else None


def main():
    print_kernel()
    p = argparse.ArgumentParser()
    p.add_argument("volume")
    p.add_argument("--arrays", default="8,12,20,32")
    p.add_argument("--noises", default="0.001,0.003,0.008,0.02")
    p.add_argument("--accel", default="2,3,4,5,6")
    p.add_argument("--csv")
    a = p.parse_args()
    rng = np.random.default_rng(20261129)
    lines = ["array,scan,noise,R,sigma2_added,sigma2_noise_data,support,lambda_noise_data,lambda_estimated,"
             "noise_data,estimated,unwhitened,oracle_lambda,oracle"]
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as tmp:
        subprocess.run([BENCH, a.volume, os.path.join(tmp, "dump.csv"), "dev", "--arrays", a.arrays, "--noises", a.noises],
                       check=True, capture_output=True, env={**os.environ, "GRAPPA_AUTO_DUMP": tmp})
        print("| array | scan | noise | R | noise data | estimated | unwhitened | λ oracle | λ noise data / estimated |")
        print("|---|---|---|---|---|---|---|---|---|")
        for noisy_path in sorted(glob.glob(os.path.join(tmp, "*-noisy.npy")), key=lambda s: (int(os.path.basename(s).split("-")[0]), s)):
            name = os.path.basename(noisy_path)[:-len("-noisy.npy")]
            coils, scan, noise = name.split("-", 2)
            noisy, clean = np.load(noisy_path), np.load(noisy_path.replace("-noisy", "-clean"))
            truth = rss(clean)
            score = lambda k: float(np.linalg.norm(rss(k) - truth) / np.linalg.norm(truth))
            c, ny, nx = noisy.shape
            e = (noisy - clean).reshape(c, -1).astype(np.complex128)
            psi = e @ e.conj().T / e.shape[1]
            # Noise acquisitions at twice the dwell time: half the variance per sample.
            l = np.linalg.cholesky(psi * IMAGING_DWELL / NOISE_DWELL)
            z = (rng.standard_normal((c, 128 * nx)) + 1j * rng.standard_normal((c, 128 * nx))) / np.sqrt(2)
            scans = (l @ z).reshape(c, 128, nx).transpose(1, 0, 2)
            for r in map(int, a.accel.split(",")):
                mask = uniform_mask(ny, r, 32)
                known, unknown, out = (os.path.join(tmp, f) for f in ("known.h5", "unknown.h5", "out.npy"))
                write_ismrmrd(known, noisy, mask, scans, NOISE_DWELL)
                write_ismrmrd(unknown, noisy, mask, scans, 0.0)
                k_known, (lines_, readout, lam_known), variance = recon(known, out)
                k_est, (_, _, lam_est), none = recon(unknown, out)
                assert none is None and variance is not None
                k_plain, _, _ = recon(known, out, "--no-prewhiten")
                row = (score(k_known), score(k_est), score(k_plain))
                grid = [(score(recon(known, out, "--kernel-lines", lines_, "--kernel-readout", readout, "--lambda", lam)[0]), lam)
                        for lam in LAMBDAS]
                best, best_lambda = min(grid + [(row[0], float(lam_known)), (row[1], float(lam_est))])
                added = float(np.real(np.trace(psi)) / c)
                lines.append(f"{coils},{scan},{noise},{r},{added},{variance},{lines_}x{readout},{lam_known},{lam_est},"
                             f"{row[0]},{row[1]},{row[2]},{best_lambda},{best}")
                print(f"| {coils} | {scan} | {noise} | {r} | {row[0] / best:.3f} | {row[1] / best:.3f} | {row[2] / best:.3f} "
                      f"| {best:.4f} | {float(lam_known) / float(lam_est):.2f} |", flush=True)
    if a.csv:
        with open(a.csv, "w") as f:
            f.write("\n".join(lines) + "\n")
    data = [l.split(",") for l in lines[1:]]
    for col, label in [(9, "noise data"), (10, "estimated"), (11, "unwhitened")]:
        ratios = np.array([float(d[col]) / float(d[13]) for d in data])
        print(f"{label}: NRMSE / λ oracle mean {ratios.mean():.3f}, worst {ratios.max():.3f}, "
              f"within 3 % {int((ratios <= 1.03).sum())} of {len(ratios)}")
    known = np.array([float(d[9]) for d in data])
    est = np.array([float(d[10]) for d in data])
    print(f"noise data vs estimated: better by > 1 % in {int((known < 0.99 * est).sum())}, "
          f"worse by > 1 % in {int((known > 1.01 * est).sum())} of {len(data)}")
    sig = np.array([float(d[5]) / float(d[4]) for d in data])
    print(f"noise data's variance / added noise: {sig.min():.3f} … {sig.max():.3f}")


if __name__ == "__main__":
    main()

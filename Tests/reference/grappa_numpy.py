#!/usr/bin/env python3
"""A plain numpy textbook GRAPPA, the reference that MetaGRAPPA is timed and checked against.

Same problem as `metagrappa recon --method grappa`: uniform mask of the CLI contract
(lines with (ky - ny/2) % R == 0 plus the centred ACS block; calibration on the whole run
of consecutive acquired lines around it), kernel of 4 acquired lines
(offsets -1..2 in units of R) x 5 readout points, calibration rows = every ACS position
whose sources and targets all lie in the ACS block (readout x in [2, nx-2)), Tikhonov
lam = lam_rel * trace(A^H A) / unknowns, normal equations solved by numpy, every missing
point estimated by a zero-padded k-space convolution, measured lines kept. complex64
throughout (like the data). numpy only.

Usage: grappa_numpy.py INPUT.npy --accel R --acs N [--lam 1e-4] [--out OUT.npy] [--repeat K]
Prints compute seconds (min over repeats; file I/O excluded) and NRMSE of the RSS image.
"""
import argparse
import time

import numpy as np


def uniform_mask(ny, r, acs):
    y = np.arange(ny)
    a0 = ny // 2 - acs // 2
    return ((y - ny // 2) % r == 0) | ((y >= a0) & (y < a0 + acs))


def conjugate_coils(k):
    """Virtual conjugate coils: conj(k(-ky, -kx)) of every coil, with DC at n // 2 on each
    axis (index i reflects onto 2 * (n // 2) - i; outside the matrix, zero)."""
    _, ny, nx = k.shape
    v = np.conj(k[:, ::-1, ::-1])  # index i now holds n - 1 - i
    if ny % 2 == 0:
        v = np.roll(v, 1, axis=1)
        v[:, 0] = 0
    if nx % 2 == 0:
        v = np.roll(v, 1, axis=2)
        v[:, :, 0] = 0
    return v


def grappa(k, mask, r, acs_block, lines=4, readout=5, lam=1e-4, virtual_conjugate=False, compress_to=None, keep_leaks=False):
    """virtual_conjugate: the coils' conjugate reflections join the sources (targets: the
    physical coils), calibrated on the ACS lines whose reflections are ACS lines too, without
    the positions where a reflected source is the conjugate of the position's own target.
    compress_to: with virtual_conjugate, the sources are that many principal components of
    the coils on the ACS block (SVD) and their reflections; lam stays relative to the mean
    diagonal of the uncompressed normal equations. keep_leaks: keep those positions (for the
    lab's comparison only)."""
    nc, ny, nx = k.shape
    physical = k * mask[None, :, None]
    if virtual_conjugate:
        sources = physical
        if compress_to is not None:
            u = np.linalg.svd(physical[:, acs_block[0]:acs_block[1]].reshape(nc, -1), full_matrices=False)[0]
            sources = np.tensordot(u[:, :compress_to].conj().T, physical, 1).astype(physical.dtype)
        k = np.concatenate([sources, conjugate_coils(sources)])
        full = np.concatenate([physical, conjugate_coils(physical)])
        acs = set(range(*acs_block))
        both = sorted(y for y in acs if 2 * (ny // 2) - y in acs)
        acs_block = (both[0], both[-1] + 1)
    hx = readout // 2
    js = np.arange(-((lines - 1) // 2), -((lines - 1) // 2) + lines)
    a0, a1 = acs_block
    lowest = a0 - r * js[0]
    highest = a1 - 1 - max(r * js[-1], r - 1)
    bases = np.arange(lowest, highest + 1)
    xs = np.arange(hx, nx - hx)
    ds = np.arange(-hx, hx + 1)
    # A[(y0, x), (c, j, d)] and B[(y0, x), (c, m)]
    src = k[:, bases[:, None, None, None] + r * js[None, None, :, None], xs[None, :, None, None] + ds[None, None, None, :]]
    A = src.transpose(1, 2, 0, 3, 4).reshape(len(bases) * len(xs), -1)
    trg = (physical if virtual_conjugate else k)[:, bases[:, None, None] + np.arange(1, r)[None, None, :], xs[None, :, None]]
    B = trg.transpose(1, 2, 0, 3).reshape(len(bases) * len(xs), -1)
    if virtual_conjugate:
        y0, x = np.meshgrid(bases, xs, indexing="ij")
        leak = np.zeros(y0.shape, bool)
        for j in js:
            for m in range(1, r):
                for d in ds:
                    leak |= (2 * (ny // 2) - (y0 + r * j) == y0 + m) & (2 * (nx // 2) - (x + d) == x) & (not keep_leaks)
        A, B = A[~leak.ravel()], B[~leak.ravel()]
        s_full = full[:, bases[:, None, None, None] + r * js[None, None, :, None], xs[None, :, None, None] + ds[None, None, None, :]]
        a_full = s_full.transpose(1, 2, 0, 3, 4).reshape(len(bases) * len(xs), -1)[~leak.ravel()]
        mean_diagonal = (np.abs(a_full) ** 2).sum() / a_full.shape[1]
    G = A.conj().T @ A
    if not virtual_conjugate:
        mean_diagonal = np.trace(G).real / G.shape[0]
    G += np.float32(lam * mean_diagonal) * np.eye(G.shape[0], dtype=G.dtype)
    W = np.linalg.solve(G, A.conj().T @ B)
    # Apply: base lattice lines b = s + r*l with a missing line below; sources b + r*j (zero outside).
    s = int(np.flatnonzero(mask & ~np.isin(np.arange(ny), np.arange(a0, a1)))[0] % r)
    first = 0 if s == 0 else -1
    last = (ny - 2 - s) // r
    b = s + r * np.arange(first, last + 1)
    pad = r * (lines + 1)
    kp = np.zeros((k.shape[0], ny + 2 * pad, nx + 2 * hx), k.dtype)
    kp[:, pad:pad + ny, hx:hx + nx] = k * mask[None, :, None]
    rows = b[:, None, None, None] + r * js[None, None, :, None] + pad
    cols = np.arange(nx)[None, :, None, None] + ds[None, None, None, :] + hx
    S = kp[:, rows, cols].transpose(1, 2, 0, 3, 4).reshape(len(b) * nx, -1)
    est = (S @ W).reshape(len(b), nx, nc, r - 1)
    out = (physical if virtual_conjugate else k).copy()
    for m in range(1, r):
        y = b + m
        ok = (y >= 0) & (y < ny)
        y, e = y[ok], est[ok, :, :, m - 1]
        miss = ~mask[y]
        out[:, y[miss], :] = e[miss].transpose(2, 0, 1)
    return out


def rss(k):
    im = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))
    return np.sqrt((np.abs(im) ** 2).sum(0))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("--accel", type=int, required=True)
    p.add_argument("--acs", type=int, default=32)
    p.add_argument("--lam", type=float, default=1e-4)  # MetaGRAPPA's default
    p.add_argument("--out")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    k = np.load(a.input)
    ny = k.shape[1]
    mask = uniform_mask(ny, a.accel, a.acs)
    # The ACS block is the whole run of consecutive acquired lines (it can take in a
    # neighbouring lattice line), as MetaGRAPPA calibrates on.
    a0, a1 = ny // 2 - a.acs // 2, ny // 2 - a.acs // 2 + a.acs
    while a0 > 0 and mask[a0 - 1]:
        a0 -= 1
    while a1 < ny and mask[a1]:
        a1 += 1
    best = None
    for _ in range(a.repeat):
        t = time.perf_counter()
        out = grappa(k, mask, a.accel, (a0, a1), lam=a.lam)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    ref = rss(k.astype(np.complex128))
    nrmse = np.linalg.norm(rss(out.astype(np.complex128)) - ref) / np.linalg.norm(ref)
    print(f"numpy GRAPPA {a.input} R={a.accel} ACS={a.acs}: compute {best * 1e3:.1f} ms (min of {a.repeat}), NRMSE {nrmse:.4f}")
    if a.out:
        np.save(a.out, out)


if __name__ == "__main__":
    main()

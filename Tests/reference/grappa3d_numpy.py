#!/usr/bin/env python3
"""A plain numpy GRAPPA across ky and kz (3-D acquisitions accelerated along both, CAIPIRINHA
or not), the reference `metagrappa.grappa3d` is checked against, and a small simulated 3-D
multi-coil volume to check it on. numpy only.

k-space [partitions (kz), coils, ky, kx]. Sampling: partition z is sampled if (z - oz) % Rz == 0,
and in it line y if (y - oy - shift * ((z - oz) // Rz)) % Ry == 0; plus a fully sampled box.
In hybrid space (centred orthonormal inverse FFT along kx) each missing sample (z, y) at
readout position x is predicted from the lattice samples (z + dz, y + dy) with |dz| <= Rz,
|dy| <= Ry, times `reach` (all coils; zero outside the volume): the weights of readout position x are the
ridge solution (A^H A + lam * trace(A^H A) / n * I) W = A^H B over the calibration box's
positions whose sources lie in the box, at readout positions x - window ... x + window
(cyclic). The acquired samples are kept.
"""
import numpy as np


def on_lattice(z, y, ry, rz, shift, oz, oy):
    z, y = np.asarray(z), np.asarray(y)
    step = np.floor_divide(z - oz, rz)
    return ((z - oz) % rz == 0) & ((y - oy - shift * step) % ry == 0)


def uniform_mask(nz, ny, ry, rz, shift, box):
    """The lattice through the centre (nz // 2, ny // 2) plus the centred box (bz, by) of
    fully sampled partitions x lines: ([nz, ny] bool, (oz, oy))."""
    oz = (nz // 2) % rz
    oy = ny // 2 - shift * ((nz // 2 - oz) // rz)
    z, y = np.meshgrid(np.arange(nz), np.arange(ny), indexing="ij")
    mask = on_lattice(z, y, ry, rz, shift, oz, oy)
    bz, by = box
    mask[nz // 2 - bz // 2: nz // 2 - bz // 2 + bz, ny // 2 - by // 2: ny // 2 - by // 2 + by] = True
    return mask, (oz, oy)


def largest_box(mask):
    """The fully sampled (z0, z1, y0, y1) of largest area containing the centre (nz // 2, ny // 2),
    by brute force."""
    nz, ny = mask.shape
    cz, cy = nz // 2, ny // 2
    best, area = None, 0
    for z0 in range(cz + 1):
        for z1 in range(cz + 1, nz + 1):
            for y0 in range(cy + 1):
                for y1 in range(cy + 1, ny + 1):
                    if (z1 - z0) * (y1 - y0) > area and mask[z0:z1, y0:y1].all():
                        best, area = (z0, z1, y0, y1), (z1 - z0) * (y1 - y0)
    return best


def box_mask(mask):
    """``largest_box`` of `mask` as a mask of its shape (the lines a scanner flags as reference)."""
    z0, z1, y0, y1 = largest_box(mask)
    box = np.zeros_like(mask, dtype=bool)
    box[z0:z1, y0:y1] = True
    return box


def hybrid(k, inverse=True):
    f = np.fft.ifft if inverse else np.fft.fft
    return np.fft.fftshift(f(np.fft.ifftshift(k, axes=-1), axis=-1, norm="ortho"), axes=-1)


def grappa3d(k, mask, ry, rz, shift, origin, box, lam=3e-3, window=4, reach=1):
    """`box` = (z0, z1, y0, y1): the fully sampled calibration box."""
    oz, oy = origin
    nz, nc, ny, nx = k.shape
    h = hybrid(np.asarray(k, dtype=np.complex128))  # [z, c, y, x]
    out = h.copy()
    z0, z1, y0, y1 = box
    for cz in range(rz):
        for cy in range(ry):
            if (cz, cy) == (0, 0):
                continue
            tz, ty = oz + cz, oy + shift * 0 + cy
            offsets = [(dz, dy) for dz in range(-reach * rz, reach * rz + 1) for dy in range(-reach * ry, reach * ry + 1)
                       if on_lattice(tz + dz, ty + dy, ry, rz, shift, oz, oy)]
            calib = [(z, y) for z in range(z0, z1) for y in range(y0, y1)
                     if all(z0 <= z + dz < z1 and y0 <= y + dy < y1 for dz, dy in offsets)]
            # The cell offset of every position: (z - oz) mod Rz, (y - oy - shift * floor((z - oz) / Rz)) mod Ry.
            targets = [(z, y) for z in range(nz) for y in range(ny) if not mask[z, y]
                       and (z - oz) % rz == cz and (y - oy - shift * ((z - oz) // rz)) % ry == cy]
            if not targets:
                continue

            def sources(positions):
                cols = []
                for dz, dy in offsets:
                    block = np.zeros((len(positions), nc, nx), complex)
                    for i, (z, y) in enumerate(positions):
                        if 0 <= z + dz < nz and 0 <= y + dy < ny:
                            block[i] = h[z + dz, :, y + dy, :]
                    cols.append(block)
                return np.concatenate(cols, axis=1)  # [positions, offsets * coils, x]

            a = sources(calib)
            b = np.stack([h[z, :, y, :] for z, y in calib])  # [positions, coils, x]
            s = sources(targets)
            n = a.shape[1]
            gram = np.einsum("pix,pjx->xij", a.conj(), a)
            cross = np.einsum("pix,pcx->xic", a.conj(), b)
            for x in range(nx):
                near = [(x + w) % nx for w in range(-window, window + 1)] if 2 * window + 1 < nx else range(nx)
                g, r = gram[near].sum(0), cross[near].sum(0)
                g = g + lam * np.trace(g).real / n * np.eye(n)
                w = np.linalg.solve(g, r)
                filled = s[:, :, x] @ w
                for i, (z, y) in enumerate(targets):
                    out[z, :, y, x] = filled[i]
    result = hybrid(out, inverse=False)
    result[mask[:, None, :, None].repeat(nc, 1).repeat(nx, 3)] = np.asarray(k)[mask[:, None, :, None].repeat(nc, 1).repeat(nx, 3)]
    return result


def simulate(nz=24, ny=32, nx=28, rings=2, per_ring=4, noise=0.0, seed=3):
    """A smooth 3-D object (two ellipsoids, a slow phase) through loops on a cylinder
    (`rings` rings at z = -0.4 ... 0.4, |S| ~ 1 / (d^2 + 0.1)), as k-space [nz, coils, ny, nx]
    (centred orthonormal 3-D FFT), plus complex Gaussian noise of `noise` x the peak."""
    rng = np.random.default_rng(seed)
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, n, endpoint=False) for n in (nz, ny, nx)), indexing="ij")
    obj = ((x / 0.8) ** 2 + (y / 0.7) ** 2 + (z / 0.9) ** 2 < 1) * 1.0 + 0.5 * ((x - 0.2) ** 2 + (y + 0.1) ** 2 + z ** 2 < 0.1)
    obj = obj * np.exp(1j * (0.5 * x - 0.3 * y + 0.4 * z))
    maps = []
    for ring, zr in enumerate(np.linspace(-0.4, 0.4, rings)):
        for j in range(per_ring):
            th = 2 * np.pi * j / per_ring + ring * np.pi / per_ring
            d2 = (x - 1.2 * np.cos(th)) ** 2 + (y - 1.2 * np.sin(th)) ** 2 + (z - zr) ** 2
            maps.append(np.exp(1j * (np.arctan2(y - np.sin(th), x - np.cos(th)) + 0.7 * ring)) / (d2 + 0.1))
    images = np.stack(maps, 1) * obj[:, None]  # [z, coils, y, x]
    images /= np.abs(images).max()
    k = np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(images, axes=(0, 2, 3)), axes=(0, 2, 3), norm="ortho"), axes=(0, 2, 3))
    noisy = k + noise * (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)) / np.sqrt(2)
    return noisy.astype(np.complex64), k


def rss3d(k):
    im = np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(k, axes=(0, 2, 3)), axes=(0, 2, 3), norm="ortho"), axes=(0, 2, 3))
    return np.sqrt((np.abs(im) ** 2).sum(1))

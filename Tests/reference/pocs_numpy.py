#!/usr/bin/env python3
"""A plain numpy POCS partial-Fourier completion (Haacke, Lindskog & Lin, JMR 1991), the
reference the library's `--partial-fourier pocs` is checked against. numpy only.

k-space [coils, ky, kx] with DC at n // 2 on each axis (index i mirrors onto 2 * (n // 2) - i),
measured on the boolean axis masks `lines` (ky) and `readout` (kx), each one contiguous run.
Per coil: phase = angle of the image of the measured samples whose mirror is measured too,
Hann-weighted cos^2(pi/2 * d / (D + 1)) in the distance d from DC along each partially
measured axis (D the largest such distance); then `iterations` times: image -> |image| with
that phase -> k-space -> measured samples put back.
"""
import numpy as np


def centred_ifft2(k):
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))


def centred_fft2(x):
    return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))


def centre_window(measured):
    """1 along a fully measured axis; along a partial one, the Hann window over the samples
    measured on both sides of DC."""
    n = len(measured)
    if measured.all():
        return np.ones(n)
    i = np.arange(n)
    mirror = 2 * (n // 2) - i
    inside = (mirror >= 0) & (mirror < n)
    both = measured & inside & measured[np.clip(mirror, 0, n - 1)]
    distance = np.abs(i - n // 2)
    widest = distance[both].max()
    return np.where(both, np.cos(np.pi / 2 * distance / (widest + 1)) ** 2, 0.0)


def pocs(k, lines, readout, iterations=5):
    k = np.asarray(k, dtype=np.complex128)
    region = np.outer(lines, readout)
    measured = k * region
    low = measured * np.outer(centre_window(lines), centre_window(readout))
    phase = np.exp(1j * np.angle(centred_ifft2(low)))
    estimate = measured
    for _ in range(iterations):
        image = centred_ifft2(estimate)
        estimate = centred_fft2(np.abs(image) * phase)
        estimate = np.where(region, measured, estimate)
    return estimate

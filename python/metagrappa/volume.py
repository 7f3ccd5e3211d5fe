"""GRAPPA across ky and kz of 3-D acquisitions accelerated along both."""
import numpy as np

from . import _native
from ._options import _finite, _integer


def grappa3d(kspace, mask, lamda=None, return_info=False, readout_window=None, reach=None):
    """GRAPPA across ky and kz of a 3-D acquisition accelerated along both (e.g. 2 x 2, with or
    without a CAIPIRINHA shift), calibrated on its fully sampled (kz, ky) box: in hybrid space
    (after an inverse FFT along the readout) each missing sample is a combination of the
    acquired lattice samples within Rz partitions and Ry lines of it, all coils, with weights
    fitted per readout position.

    kspace: [partitions (kz), coils, ky, kx], complex64 or complex128. mask: [partitions, ky]
    (bool or integers, non-zero = acquired): a lattice plus one fully sampled box around the
    centre. lamda: relative Tikhonov weight (default 3e-3). readout_window: each readout
    position's weights are fitted on the positions within this many of it (default 4).
    reach: the sources are the lattice samples within reach x Rz partitions and reach x Ry
    lines (default: 2 when both axes are accelerated and the calibration box gives every kernel
    at least 3 rows per unknown, else 1). return_info: also return a dict (lattice, calibration box, seconds).
    The acquired samples are returned as given.

    Accelerated along ky alone, `recon` reconstructs a file plane by plane instead (the inverse
    FFT along kz, `grappa` on every z plane, the FFT back): 9-18 % more accurate than this kernel
    on a simulated 32-coil head (BENCHMARKS.md), less accurate on a small 8-coil volume whose
    planes' ACS is too short for grappa's automatic choice; both are a few lines apart.
    """
    k = np.asarray(kspace)
    if k.ndim != 4 or not np.iscomplexobj(k):
        raise ValueError(f"kspace must be complex [partitions, coils, ky, kx], found {k.dtype} of shape {k.shape}")
    m = np.asarray(mask)
    if m.shape != (k.shape[0], k.shape[2]):
        raise ValueError(f"mask must be [partitions, ky] = {(k.shape[0], k.shape[2])}, found shape {m.shape}")
    if m.dtype != bool and not np.issubdtype(m.dtype, np.integer):
        raise ValueError(f"mask must be bool or integer, found {m.dtype}")
    options = {} if lamda is None else {"lambda": _finite("lamda", lamda, "a number")}
    for key, value in (("readout_window", readout_window), ("reach", reach)):
        if value is not None:
            options[key] = _integer(key, value)
    out, info = _native.grappa_volume(np.ascontiguousarray(k, dtype=np.complex64), np.ascontiguousarray(m != 0, dtype=np.uint8), options)
    if k.dtype == np.complex128:
        out = out.astype(np.complex128)
        zs, ys = np.nonzero(m)
        out[zs, :, ys, :] = k[zs, :, ys, :]  # measured samples exactly as given
    return (out, info) if return_info else out

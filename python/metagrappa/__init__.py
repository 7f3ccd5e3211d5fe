"""MetaGRAPPA: scan-specific parallel-MRI reconstruction of uniformly undersampled,
multi-coil Cartesian k-space (GRAPPA, RAKI, Meta-GRAPPA) on numpy arrays.

    import metagrappa
    mask = metagrappa.uniform_mask(ny, accel=4, acs=32)   # the command line's --accel 4 --acs 32
    out = metagrappa.grappa(kspace * mask[:, None], mask)  # kspace [coils, ky, kx], complex64/128

Every reconstruction takes the acquired k-space and its 1-D ky mask (every R-th line plus one
block of ACS lines), returns an array of the input's shape and dtype with every measured
sample kept exactly, and gives the same numbers as `metagrappa recon --mask` (complex64 input).
Bad input raises ValueError with the library's message; files that cannot be read or written
raise OSError. The computation runs without the GIL, on `threads()` worker threads.
"""
import json
import os
import warnings

import numpy as np

from . import _native
from ._options import _array, _common_options, _finite, _integer, _kernel_options, _mask, _prepare  # noqa: F401
from .volume import grappa3d

__all__ = ["uniform_mask", "grappa", "raki", "meta", "cs", "grappa3d", "calibrate", "GrappaKernel", "gfactor", "rss", "combine", "read", "write",
           "settings", "set_threads", "threads", "__version__"]
__version__ = _native.version()


def set_threads(n):
    """Sets the number of worker threads, 1…1024 (default: all cores). Results do not depend on it."""
    n = _integer("threads", n)
    if not 1 <= n <= 1024:
        raise ValueError(f"threads must be 1…1024, found {n}")
    _native.set_threads(n)


def threads():
    """The number of worker threads."""
    return _native.threads()


def uniform_mask(ny, accel, acs=32):
    """The ky mask of `metagrappa recon --accel R --acs N`: lines with (ky − ny/2) mod R == 0
    plus the centred block [ny/2 − acs/2, ny/2 − acs/2 + acs); bool [ny]."""
    for name, v in (("ny", ny), ("accel", accel), ("acs", acs)):
        _integer(name, v)
    # The C library takes 32-bit integers: larger values would wrap, not be refused.
    if not 1 <= ny < 2 ** 31:
        raise ValueError(f"ny must be 1…{2 ** 31 - 1} phase-encode lines, found {ny}")
    for name, v in (("accel", accel), ("acs", acs)):
        if not -2 ** 31 <= v < 2 ** 31:
            raise ValueError(f"{name} must be a 32-bit integer, found {v}")
    return _native.uniform_mask(int(ny), int(accel), int(acs))


def _run(method, kspace, mask, coil_axis, options, return_info):
    k, m, undo = _prepare(kspace, mask, coil_axis)
    out, info = _native.reconstruct(method, k, m, options)
    out = undo(out)
    return (out, info) if return_info else out


_COMMON = """kspace: the acquired k-space, coils on `coil_axis` (default 0), ky and kx the other two
    axes in that order; complex64 or complex128. mask: the 1-D ky mask (bool or integers,
    non-zero = acquired). virtual_coils: SVD coil compression to that many virtual coils
    before reconstructing (the result keeps the physical coils). partial_fourier: how the
    lines beyond a partial-Fourier mask's acquired region (an unacquired edge) are completed
    once the region is reconstructed: 'zeros' (the default, None: zero filling) or 'pocs'
    (projections onto convex sets, coil by coil, with the phase of the symmetrically sampled
    centre). return_info: also return a dict of what ran (kernel, λ, seconds)."""


def grappa(kspace, mask, kernel=None, lamda=None, coil_axis=0, solver=None, virtual_coils=None, return_info=False,
           noise_variance=None, virtual_conjugate=None, partial_fourier=None):
    """GRAPPA calibrated on the ACS of this scan.

    kernel: (measured source lines, readout width); by default (None or 'auto') chosen for the
    scan among 2 or 4 lines × 3, 5 or 7 samples. lamda: relative Tikhonov weight λ_rel (spelt
    lamda because lambda is a Python keyword; the command line's --lambda, the C options'
    "lambda"); by default (None or 'auto') the one of least expected error for the scan. The
    classic fixed settings are kernel=(4, 5), lamda=1e-4. solver: 'cholesky' (default) or 'qr'.
    noise_variance: the noise variance of one k-space sample of one coil (mean over the coils),
    where known, e.g. from a noise scan scaled to the readout's bandwidth; the automatic λ uses
    it instead of its own estimate. virtual_conjugate: 'on' adds each coil's conjugate
    reflection conj(k(-ky, -kx)) to the kernel's sources (virtual conjugate coils), 'off' never,
    'auto' (the default, None) chooses per scan with the support and λ (a partial-Fourier mask
    or a lattice that does not reflect onto itself: off); return_info's "virtual_conjugate" says
    which ran.
    """
    options = _kernel_options(kernel, lamda, solver, noise_variance, virtual_conjugate)
    options.update(_common_options(virtual_coils, partial_fourier))
    return _run("grappa", kspace, mask, coil_axis, options, return_info)


def raki(kspace, mask, seed=None, iterations=None, learning_rate=None, hidden=None, coil_axis=0, virtual_coils=None,
         return_info=False, plateau_window=None, whitening_ridge=None, partial_fourier=None):
    """RAKI: a CNN trained on this scan's ACS (deterministic for a seed).

    seed: seed of the initial weights (default 1). iterations: the most Adam iterations;
    training stops earlier when the loss has not improved by 0.1 % over plateau_window
    iterations (default 100); by default as many as fit ~22 s of arithmetic on 2 cores for the
    scan's shape (100…1500). learning_rate: Adam's step (default 3e-3). hidden: the two hidden
    layers' channels as (a, b). whitening_ridge: relative ridge of the first layer's input
    whitening (default 10; 0 trains on the raw input). None everywhere: the library's default
    (metagrappa.settings() lists them).
    """
    options = {}
    if seed is not None:
        options["seed"] = _integer("seed", seed)
    if iterations is not None:
        options["iterations"] = _integer("iterations", iterations)
    if learning_rate is not None:
        options["learning_rate"] = _finite("learning_rate", learning_rate, "a number")
    if hidden is not None:
        try:
            a, b = hidden
        except (TypeError, ValueError):
            raise ValueError(f"hidden must be two integers (a, b), found {hidden!r}") from None
        options["hidden"] = [_integer("hidden", a), _integer("hidden", b)]
    if plateau_window is not None:
        options["plateau_window"] = _integer("plateau_window", plateau_window)
    if whitening_ridge is not None:
        options["whitening_ridge"] = _finite("whitening_ridge", whitening_ridge, "a number")
    options.update(_common_options(virtual_coils, partial_fourier))
    return _run("raki", kspace, mask, coil_axis, options, return_info)


def meta(kspace, mask, variant=None, model=None, allow_other_array=False, lamda=None, coil_axis=0, return_info=False,
         virtual_coils=None, partial_fourier=None):
    """Meta-GRAPPA: the learner adapted to this scan's ACS by the meta-learner's T steps.

    variant: 'paper' (default) or 'residual'. model: a .mgmeta file (default: the shipped model
    of the variant for the mask's R, the paper's 32-coil array: 'paper' at R = 4, 5, 6,
    'residual' at R = 4). A model belongs to one coil array: a scan with another coil count is
    always refused, one of the same count whose coil-correlation fingerprint differs is refused
    unless allow_other_array. lamda: the residual variant's linear-branch λ_rel or 'auto' (by
    default the λ_rel the model was meta-trained with).
    """
    options = {"allow_other_array": bool(allow_other_array)}
    if variant is not None:
        options["variant"] = variant
    if model is not None:
        options["model"] = str(model)
    options.update(_kernel_options(None, lamda))
    options.update(_common_options(virtual_coils, partial_fourier))
    return _run("meta", kspace, mask, coil_axis, options, return_info)


def cs(kspace, mask, lamda=None, iterations=None, keep_measured=False, coil_axis=0, virtual_coils=None, return_info=False,
       noise_variance=None, partial_fourier=None):
    """SENSE with l1-wavelet sparsity: ESPIRiT maps from this scan's ACS, then
    argmin_x ½‖P F S x − y‖² + λ‖W x‖₁ (FISTA, Daubechies wavelets with random shifts), then
    the coil k-space F S x.

    lamda: λ relative to the data's intensity (the 90th percentile of the ACS image), or
    'auto' / None (default): chosen for the scan from its noise level and the fraction of
    lines measured; return_info's "lambda" says which. noise_variance: the noise variance of
    one k-space sample of one coil, where known (by default estimated from the ACS).
    iterations: the most FISTA iterations (default 100). keep_measured: put the measured lines
    back as measured (default False: they are the regularised solution's, which denoises
    them); outside the maps' support the coil images are zero. Scans of more than 16 coils are
    reconstructed on 16 SVD virtual coils unless virtual_coils says otherwise.
    """
    options = {"keep_measured": bool(keep_measured)}
    options.update(_kernel_options(None, lamda, noise_variance=noise_variance))
    if iterations is not None:
        options["iterations"] = _integer("iterations", iterations)
    options.update(_common_options(virtual_coils, partial_fourier))
    return _run("cs", kspace, mask, coil_axis, options, return_info)


for _f in (grappa, raki, meta, cs):
    _f.__doc__ += "\n    " + _COMMON + "\n"


def settings():
    """The library's reconstruction settings, its one list: for each, the C options' key, the
    command line's flag, the Python keyword, the methods, whether 'auto' is a value, the
    default, a one-line summary."""
    return _native.settings()


class GrappaKernel:
    """A calibrated GRAPPA kernel: apply it to other scans or frames of the same coils and R.
    Its bytes are those of `metagrappa calibrate`'s kernel files (save/load interchange them)."""

    def __init__(self, data):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError(f"a kernel is made from the bytes of a kernel file, found {type(data).__name__}")
        self._data = bytes(data)
        info = _native.kernel_info(self._data)
        self.coils, self.acceleration = info["coils"], info["acceleration"]
        self.lines, self.readout, self.lamda = info["kernel_lines"], info["kernel_readout"], info["lambda"]
        self.virtual_conjugate = info["virtual_conjugate"]

    def apply(self, kspace, mask, coil_axis=0):
        """Fills the missing lines of `kspace` (same coils and R; measured samples kept);
        kspace, mask and coil_axis as for grappa()."""
        k, m, undo = _prepare(kspace, mask, coil_axis)
        return undo(_native.apply_kernel(self._data, k, m))

    def to_bytes(self):
        """The kernel file's bytes (GrappaKernel(b) makes the kernel again)."""
        return self._data

    def save(self, path):
        """Writes the kernel file `path` (read by `metagrappa recon --kernel` and load())."""
        with open(path, "wb") as f:
            f.write(self._data)

    @classmethod
    def load(cls, path):
        """The kernel of the file `path` (written by save() or `metagrappa calibrate`)."""
        with open(path, "rb") as f:
            return cls(f.read())

    def __reduce__(self):
        return (GrappaKernel, (self._data,))

    def __repr__(self):
        return (f"GrappaKernel(coils={self.coils}, R={self.acceleration}, lines={self.lines}, readout={self.readout}, "
                f"lamda={self.lamda:g}{', virtual_conjugate=True' if self.virtual_conjugate else ''})")


def calibrate(kspace, mask, kernel=None, lamda=None, coil_axis=0, solver=None, noise_variance=None,
              virtual_conjugate=None):
    """A GRAPPA kernel fitted on the ACS of this scan (`metagrappa calibrate`); kernel, lamda,
    noise_variance and virtual_conjugate as for grappa()."""
    k, m, _ = _prepare(kspace, mask, coil_axis)
    return GrappaKernel(_native.calibrate(k, m, _kernel_options(kernel, lamda, solver, noise_variance, virtual_conjugate)))


def gfactor(kspace, mask, kernel=None, lamda=None, coil_axis=0, noise_variance=None, virtual_conjugate=None):
    """The GRAPPA g-factor map [ny, nx] (float32) of the kernel calibrated on this scan, as
    `metagrappa recon --gfactor` writes it (white coil noise assumed; with virtual conjugate
    coils, their noise counted as the conjugate of the physical coils')."""
    k, m, _ = _prepare(kspace, mask, coil_axis)
    return _native.gfactor(k, m, _kernel_options(kernel, lamda, noise_variance=noise_variance,
                                                 virtual_conjugate=virtual_conjugate))


def rss(kspace, coil_axis=0):
    """Root-sum-of-squares magnitude image [ny, nx] (float32) of k-space (centred, orthonormal FFT)."""
    return _native.rss(np.ascontiguousarray(_array(kspace, coil_axis), dtype=np.complex64))


def combine(kspace, method="rss", coil_axis=0):
    """The coil-combined image [ny, nx] of k-space (centred orthonormal inverse FFT per coil):
    method 'rss' (float32 root-sum-of-squares), 'adaptive' (Walsh et al. 2000: per pixel the
    dominant eigenvector of the coils' 7 x 7 neighbourhood covariance) or 'sense' (SENSE-1
    with ESPIRiT maps from the central 32 lines), both complex64 with a smooth phase. As
    `metagrappa recon --combine` computes it; prewhiten first for the matched filters to be
    SNR-optimal."""
    if method not in ("rss", "adaptive", "sense"):
        raise ValueError(f"method must be 'rss', 'adaptive' or 'sense', found {method!r}")
    k = np.ascontiguousarray(_array(kspace, coil_axis), dtype=np.complex64)
    image = _native.combine(k, method)
    return image.real.copy() if method == "rss" else image


def read(path, slice=None):
    """Reads k-space from any format the command line reads (.npy, BART .cfl/.hdr, fastMRI or
    ISMRMRD .h5, Siemens raw data .dat). Returns (k, info): k complex64 [coils, ky, kx] for a
    one-slice file or a chosen `slice`, else [slices, coils, ky, kx]; info has 'format',
    'slices' (in the file), 'mask' (the recorded sampling, bool [ky] or [slices, ky], or None),
    'has_noise', 'noise' (the noise-only samples the file carries — Siemens noise-adjust scans,
    ISMRMRD noise acquisitions — complex64 [coils, readouts, samples], or None), 'noise_variance'
    (the variance of one k-space sample of one coil of k that the noise samples give, scaled
    from their dwell time to the imaging readout's — what grappa()/cs() take as
    noise_variance — or None where the file does not give that scale: Siemens files do not)
    'geometry' (where the slices lie, as write() takes it: fields of view, thickness, readout
    oversampling, and per slice its centre and readout, phase and slice directions in LPS mm;
    None where the format records none) and 'properties' (what the file records about its
    acquisition). HDF5 files are read first
    by a child process (libhdf5 crashes on some damaged files; METAGRAPPA_TRUST_HDF5=1 skips
    that), as the command line does."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file path, found {path!r}")
    if slice is not None:
        _integer("slice", slice)
    k, masks, meta_ = _native.read(path, slice)
    one = k.shape[0] == 1
    info = {"format": meta_["format"], "slices": meta_["slices"], "has_noise": meta_["has_noise"],
            "noise": meta_["noise"], "noise_variance": meta_["noise_variance"], "geometry": meta_["geometry"],
            "properties": {p["name"]: p["value"] for p in meta_["properties"]},
            "mask": None if masks is None else (masks[0] if one else masks)}
    return (k[0] if one else k), info


def write(path, data, geometry=None):
    """Writes k-space [coils, ky, kx] or [slices, coils, ky, kx] in the format the extension
    names (.npy, .cfl, .h5 = fastMRI); or, to .nii / .nii.gz, magnitude images [ky, kx] or
    [slices, ky, kx] (as combine() returns them, readout oversampling included: it is cropped
    here) as NIfTI placed by `geometry`: read()'s info, or its 'geometry' (one entry per
    slice of `data`); None: 1 mm voxels in an identity orientation, with a warning. The file
    appears only when complete."""
    if str(path).lower().endswith((".nii", ".nii.gz")):
        if not isinstance(data, np.ndarray) or data.ndim not in (2, 3) or np.iscomplexobj(data) or data.dtype.kind not in "fiu":
            raise ValueError(f"an image must be a real array [ky, kx] or [slices, ky, kx] (np.abs of a complex one), found "
                             f"{getattr(data, 'shape', type(data).__name__)} {getattr(data, 'dtype', '')}")
        if isinstance(geometry, dict) and "geometry" in geometry:
            geometry = geometry["geometry"]
        if geometry is None:
            warnings.warn(f"{path}: no geometry given: written with 1 mm voxels in an identity orientation")
        elif not isinstance(geometry, dict):
            raise ValueError(f"geometry must be read()'s info or its 'geometry', found {type(geometry).__name__}")
        images = np.ascontiguousarray(data if data.ndim == 3 else data[None], dtype=np.float32)
        _native.write_image(str(path), images, None if geometry is None else json.dumps(geometry))
        return
    kspace = data
    if not isinstance(kspace, np.ndarray) or kspace.ndim not in (3, 4) or not np.iscomplexobj(kspace):
        raise ValueError(f"kspace must be a complex array [coils, ky, kx] or [slices, coils, ky, kx], found "
                         f"{getattr(kspace, 'shape', type(kspace).__name__)} {getattr(kspace, 'dtype', '')}")
    k = np.ascontiguousarray(kspace if kspace.ndim == 4 else kspace[None], dtype=np.complex64)
    _native.write(str(path), k)

"""Argument checks and option dictionaries shared by the package's functions: each one maps
Python arguments onto the C options the library's SettingCatalog names."""
import numpy as np


def _array(kspace, coil_axis):
    """`kspace` checked and with its coil axis first."""
    if not isinstance(kspace, np.ndarray):
        raise ValueError(f"kspace must be a numpy array, found {type(kspace).__name__}")
    if kspace.ndim != 3:
        raise ValueError(f"kspace must be 3-D [coils, ky, kx] (coil axis {coil_axis}), found shape {kspace.shape}")
    if kspace.dtype not in (np.complex64, np.complex128):
        raise ValueError(f"kspace must be complex64 or complex128, found {kspace.dtype}")
    if not isinstance(coil_axis, (int, np.integer)) or isinstance(coil_axis, bool) or not -3 <= coil_axis < 3:
        raise ValueError(f"coil_axis must be 0, 1 or 2 (or negative), found {coil_axis!r}")
    return np.moveaxis(kspace, coil_axis, 0)


def _prepare(kspace, mask, coil_axis):
    """(k complex64 C-order [coils, ny, nx], mask uint8 [ny], undo) where undo(out) restores
    the caller's layout and dtype and its measured samples exactly."""
    k = _array(kspace, coil_axis)
    ny = k.shape[1]
    m = _mask(mask, ny)
    k64 = np.ascontiguousarray(k, dtype=np.complex64)

    def undo(out):
        if kspace.dtype == np.complex128:
            out = out.astype(np.complex128)
            out[:, m.astype(bool), :] = k[:, m.astype(bool), :]  # measured samples exactly as given
        return np.moveaxis(out, 0, coil_axis)
    return k64, m, undo


def _mask(mask, ny):
    m = np.asarray(mask)
    if m.ndim != 1 or m.shape[0] != ny:
        raise ValueError(f"mask must be 1-D with one entry per ky line ({ny}), found shape {m.shape}")
    if m.dtype != bool and not np.issubdtype(m.dtype, np.integer):
        raise ValueError(f"mask must be bool or integer, found {m.dtype}")
    return np.ascontiguousarray(m != 0, dtype=np.uint8)


def _kernel_options(kernel, lamda, solver=None, noise_variance=None, virtual_conjugate=None):
    options = {}
    if virtual_conjugate is not None:
        if virtual_conjugate not in ("on", "off", "auto"):
            raise ValueError(f"virtual_conjugate must be 'on', 'off' or 'auto', found {virtual_conjugate!r}")
        options["virtual_conjugate"] = virtual_conjugate
    if kernel == "auto":
        options["kernel_lines"] = options["kernel_readout"] = "auto"
    elif kernel is not None:
        try:
            lines, readout = kernel
        except (TypeError, ValueError):
            raise ValueError(f"kernel must be (lines, readout) or 'auto', found {kernel!r}") from None
        options["kernel_lines"], options["kernel_readout"] = _integer("kernel lines", lines), _integer("kernel readout", readout)
    if lamda is not None:
        if lamda == "auto":
            options["lambda"] = "auto"
        else:
            options["lambda"] = _finite("lamda", lamda, "a number or 'auto'")
    if solver is not None:
        options["solver"] = solver
    if noise_variance is not None:
        options["noise_variance"] = _finite("noise_variance", noise_variance, "a number")
    return options


def _finite(name, v, expected):
    # NaN and infinity have no JSON spelling: refused here, in the option's own words.
    if not isinstance(v, (int, float, np.floating, np.integer)) or isinstance(v, bool):
        raise ValueError(f"{name} must be {expected}, found {v!r}")
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number, found {v!r}")
    return float(v)


def _integer(name, v):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise ValueError(f"{name} must be an integer, found {v!r}")
    return int(v)


def _common_options(virtual_coils, partial_fourier):
    options = {}
    if virtual_coils is not None:
        options["virtual_coils"] = _integer("virtual_coils", virtual_coils)
    if partial_fourier is not None:
        if partial_fourier not in ("zeros", "pocs"):
            raise ValueError(f"partial_fourier must be 'zeros' or 'pocs', found {partial_fourier!r}")
        options["partial_fourier"] = partial_fourier
    return options

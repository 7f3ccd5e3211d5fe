"""Bad input raises ValueError (OSError for files) with the library's message; never a crash."""
import numpy as np
import pytest

import metagrappa


@pytest.fixture
def scan():
    rng = np.random.default_rng(1)
    k = (rng.normal(size=(4, 32, 24)) + 1j * rng.normal(size=(4, 32, 24))).astype(np.complex64)
    return k, metagrappa.uniform_mask(32, accel=2, acs=8)


@pytest.mark.parametrize("bad, words", [
    (lambda k, m: metagrappa.grappa(k[0], m), "3-D"),
    (lambda k, m: metagrappa.grappa(k.real, m), "complex64 or complex128"),
    (lambda k, m: metagrappa.grappa(k.tolist(), m), "numpy array"),
    (lambda k, m: metagrappa.grappa(k, m[:-1]), "one entry per ky line (32)"),
    (lambda k, m: metagrappa.grappa(k, m.astype(float)), "bool or integer"),
    (lambda k, m: metagrappa.grappa(k, m, coil_axis=3), "coil_axis"),
    (lambda k, m: metagrappa.grappa(k, m, kernel=(4,)), "kernel must be"),
    (lambda k, m: metagrappa.grappa(k, m, kernel=(4, 4)), "odd"),
    (lambda k, m: metagrappa.grappa(k, m, lamda=-1.0), "regularisation must be a finite number ≥ 0"),
    (lambda k, m: metagrappa.grappa(k, m, lamda="big"), "lamda must be"),
    (lambda k, m: metagrappa.grappa(k, m, solver="lu"), "solver"),
    (lambda k, m: metagrappa.grappa(k, m, noise_variance=-1.0), "the noise variance must be a finite number > 0, found -1.0"),
    (lambda k, m: metagrappa.grappa(k, m, noise_variance="high"), "noise_variance must be a number"),
    (lambda k, m: metagrappa.calibrate(k, m, noise_variance=float("nan")), "noise_variance must be a finite number, found nan"),
    (lambda k, m: metagrappa.grappa(k, m, lamda=float("inf")), "lamda must be a finite number, found inf"),
    (lambda k, m: metagrappa.grappa(k, np.ones(32, bool)), "fully sampled"),
    (lambda k, m: metagrappa.grappa(np.where(k == k[0, 0, 0], np.nan, k).astype(np.complex64), m), "NaN"),
    (lambda k, m: metagrappa.raki(k, m, iterations=0), "the number of iterations must be at least 1, found 0"),
    (lambda k, m: metagrappa.cs(k, m, iterations=0), "the number of iterations must be at least 1, found 0"),
    (lambda k, m: metagrappa.cs(k, m, lamda=-1.0), "regularisation must be a finite number ≥ 0, found -1.0"),
    (lambda k, m: metagrappa.cs(k, m, lamda="big"), "lamda must be"),
    (lambda k, m: metagrappa.set_threads(2 ** 32 + 1), "threads must be 1…1024, found 4294967297"),
    (lambda k, m: metagrappa.set_threads(10 ** 6), "threads must be 1…1024, found 1000000"),
    (lambda k, m: metagrappa.set_threads(True), "threads must be an integer, found True"),
    (lambda k, m: metagrappa.uniform_mask(2 ** 31, 4, 32), "ny must be 1…2147483647 phase-encode lines, found 2147483648"),
    (lambda k, m: metagrappa.uniform_mask(2 ** 32 + 96, 4, 32), "ny must be 1…2147483647 phase-encode lines, found 4294967392"),
    (lambda k, m: metagrappa.uniform_mask(-5, 4, 2), "ny must be 1…2147483647 phase-encode lines, found -5"),
    (lambda k, m: metagrappa.uniform_mask(96, 2 ** 32 + 4, 2), "accel must be a 32-bit integer, found 4294967300"),
    (lambda k, m: metagrappa.raki(k, m, hidden=5), "hidden must be two integers (a, b), found 5"),
    (lambda k, m: metagrappa.GrappaKernel(None), "a kernel is made from the bytes of a kernel file, found NoneType"),
    (lambda k, m: metagrappa.read(None), "path must be a file path, found None"),
    (lambda k, m: metagrappa.raki(k, m, iterations=True), "iterations must be an integer"),
    (lambda k, m: metagrappa.grappa(k, m, lamda=True), "lamda must be"),
    (lambda k, m: metagrappa.meta(k, m), "no meta model is shipped for variant 'paper' at R=2"),
    (lambda k, m: metagrappa.meta(k, m, variant="fast"), "variant"),
    (lambda k, m: metagrappa.uniform_mask(32, accel=1, acs=8), "acceleration"),
    (lambda k, m: metagrappa.calibrate(k, m).apply(k[:3], m), "coils"),
    (lambda k, m: metagrappa.GrappaKernel(b"not a kernel"), "kernel"),
    (lambda k, m: metagrappa.write("/tmp/x.npy", k.real), "complex"),
    (lambda k, m: metagrappa.read(__file__), "format"),
])
def test_value_errors(scan, bad, words):
    k, m = scan
    with pytest.raises(ValueError) as e:
        bad(k, m)
    assert words in str(e.value), str(e.value)


def test_missing_files_raise_oserror(tmp_path):
    with pytest.raises(OSError) as e:
        metagrappa.read(tmp_path / "nothing.npy")
    assert "nothing.npy" in str(e.value)
    with pytest.raises(OSError):
        metagrappa.write(tmp_path / "no" / "dir.npy", np.zeros((1, 4, 4), np.complex64))


def test_hdf5_files_that_crash_libhdf5_raise_instead(monkeypatch):
    """Files on which libhdf5 itself crashes or never returns (RELIABILITY.md) are read
    first in a child process: a ValueError here, not a dead interpreter."""
    import glob
    import os
    from conftest import ROOT
    files = sorted(glob.glob(os.path.join(ROOT, "Fuzz", "libhdf5-failures", "*.h5")))
    assert len(files) == 3
    monkeypatch.setenv("METAGRAPPA_HDF5_PROBE_TIMEOUT", "5")  # one of them loops for ever
    for f in files:
        with pytest.raises(ValueError) as e:
            metagrappa.read(f)
        assert "HDF5" in str(e.value), str(e.value)


def test_a_readout_too_short_is_named_as_such():
    mask = metagrappa.uniform_mask(16, 2, 8)
    k = np.ones((4, 16, 2), np.complex64) * mask[None, :, None]
    for method in (metagrappa.grappa, metagrappa.cs):
        with pytest.raises(ValueError) as e:
            method(k, mask)
        assert "a readout of 2 samples is too short for GRAPPA: at least 3 are needed" in str(e.value), str(e.value)
    with pytest.raises(ValueError) as e:
        metagrappa.raki(k, mask)
    assert "readout of 2 samples is too short for RAKI" in str(e.value)


def test_non_finite_raki_settings_are_named(scan):
    k, m = scan
    with pytest.raises(ValueError) as e:
        metagrappa.raki(k, m, learning_rate=float("nan"))
    assert str(e.value) == "learning_rate must be a finite number, found nan"

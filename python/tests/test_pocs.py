"""POCS completion of partial-Fourier acquisitions (`partial_fourier="pocs"`, `recon
--partial-fourier pocs`): against an independent numpy POCS (Tests/reference/pocs_numpy.py)
applied to numpy GRAPPA of the acquired region, and against the noise-free truth."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, cli, data_file

sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))
import grappa_numpy  # noqa: E402
import pocs_numpy  # noqa: E402

ITERATIONS = 5  # the library's PartialFourierCompletion.pocsIterations


def acs_block(mask):
    block = np.flatnonzero(mask)
    runs = np.split(block, np.flatnonzero(np.diff(block) != 1) + 1)
    acs = max(runs, key=len)
    return acs[0], acs[-1] + 1


def simulated(tmp_path, noise, fraction, accel=2):
    """The simulated brain slice (z = 95) at `noise`, R = `accel` with 24 reference lines and
    the first (1 - fraction) of the lines never acquired: (noisy, clean, acquired, mask)."""
    r = cli("simulate", "-o", tmp_path / "noisy.npy", "--brain", 95, "--noise", noise, "--clean", tmp_path / "clean.npy")
    assert r.returncode == 0, r.stderr
    noisy, clean = np.load(tmp_path / "noisy.npy"), np.load(tmp_path / "clean.npy")
    ny = noisy.shape[1]
    mask = grappa_numpy.uniform_mask(ny, accel, 24)
    mask[:ny - int(round(fraction * ny))] = False
    return noisy, clean, (noisy * mask[None, :, None]).astype(np.complex64), mask


def test_pocs_equals_numpy_grappa_of_the_region_then_numpy_pocs(tmp_path):
    import metagrappa
    _, _, acquired, mask = simulated(tmp_path, 0.002, 0.75)
    first = np.flatnonzero(mask)[0]
    fixed = dict(kernel=(4, 5), lamda=1e-4)
    zeros = metagrappa.grappa(acquired, mask, **fixed)
    pocs = metagrappa.grappa(acquired, mask, partial_fourier="pocs", **fixed)
    # The acquired region is GRAPPA's either way; only the never-acquired lines differ.
    assert np.array_equal(pocs[:, first:], zeros[:, first:]) and not zeros[:, :first].any()
    region = np.zeros_like(acquired)
    region[:, first:] = grappa_numpy.grappa(acquired[:, first:], mask[first:], 2, acs_block(mask[first:]))
    assert np.linalg.norm(zeros - region) / np.linalg.norm(region) < 1e-3
    # The completion: numpy POCS of the library's own region (a GRAPPA difference of 3e-4 in
    # the region's edge lines moves the small never-acquired part by ~1 %).
    lines, readout = np.arange(mask.size) >= first, np.ones(acquired.shape[2], bool)
    outside = lambda k: k[:, :first]
    distance = lambda n: (np.linalg.norm(outside(pocs) - outside(pocs_numpy.pocs(zeros, lines, readout, n)))
                          / np.linalg.norm(outside(pocs)))
    # One projection more or fewer moves the completion by far more than the tolerance.
    assert distance(ITERATIONS) < 1e-4 and min(distance(ITERATIONS - 1), distance(ITERATIONS + 1)) > 1e-2, \
        [distance(n) for n in (ITERATIONS - 1, ITERATIONS, ITERATIONS + 1)]


def test_pocs_beats_zero_filling_on_a_high_snr_scan_against_the_noise_free_truth(tmp_path):
    noisy, clean, acquired, mask = simulated(tmp_path, 0.002, 0.625)
    np.save(tmp_path / "acquired.npy", acquired)
    np.save(tmp_path / "mask.npy", mask)
    out = {}
    for completion in ("zeros", "pocs"):
        r = cli("recon", tmp_path / "acquired.npy", "-o", tmp_path / f"{completion}.npy", "--mask", tmp_path / "mask.npy",
                "--partial-fourier", completion)
        assert r.returncode == 0, r.stderr
        out[completion] = np.load(tmp_path / f"{completion}.npy")
    truth = grappa_numpy.rss(clean.astype(np.complex128))
    error = {c: np.linalg.norm(grappa_numpy.rss(k.astype(np.complex128)) - truth) / np.linalg.norm(truth) for c, k in out.items()}
    print(f"5/8 R=2 σ 0.002: zero filling {error['zeros']:.4f}, POCS {error['pocs']:.4f}")
    assert error["pocs"] < 0.6 * error["zeros"], error


def test_phase_and_readout_partial_fourier_of_a_siemens_file(tmp_path):
    """6/8 in phase and an asymmetric echo (24 of 128 samples never acquired) in one twix file:
    POCS over both axes, as numpy GRAPPA of the acquired block then numpy POCS gives it."""
    import metagrappa
    source = data_file("twix/xa61_brain_16ch_gre_128.dat", tmp_path)
    path = tmp_path / "acquired.dat"
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "reference", "make_twix.py"), source, path, "--accel", "2",
                    "--acs", "24", "--protocol-lines", "--line-offset", "32", "--echo-asymmetry", "24"], check=True, capture_output=True)
    acquired, info = metagrappa.read(path)
    mask = info["mask"]
    assert not acquired[:, :32].any() and not acquired[:, :, :24].any()
    out = tmp_path / "out.npy"
    r = cli("recon", path, "-o", out, "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4, "--partial-fourier", "pocs")
    assert r.returncode == 0, r.stderr
    out = np.load(out)
    r = cli("recon", path, "-o", tmp_path / "zeros.npy", "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    zeros = np.load(tmp_path / "zeros.npy")
    assert not zeros[:, :32].any() and not zeros[:, :, :24].any()
    block = np.zeros_like(acquired)
    block[:, 32:, 24:] = grappa_numpy.grappa(acquired[:, 32:, 24:].astype(np.complex64), mask[32:], 2, acs_block(mask[32:]))
    assert np.linalg.norm(zeros - block) / np.linalg.norm(block) < 1e-3
    reference = pocs_numpy.pocs(zeros, np.arange(128) >= 32, np.arange(128) >= 24, ITERATIONS)
    assert np.array_equal(out[:, 32:, 24:], zeros[:, 32:, 24:])
    missing = np.ones(out.shape[1:], bool)
    missing[32:, 24:] = False
    error = np.linalg.norm((out - reference)[:, missing]) / np.linalg.norm(reference[:, missing])
    assert error < 1e-4, error
    assert np.linalg.norm(out[:, missing]) > 0.01 * np.linalg.norm(out)  # the missing part was filled


def test_an_unknown_completion_is_refused_in_every_front_end(tmp_path):
    import metagrappa
    _, _, acquired, mask = simulated(tmp_path, 0.005, 0.75)
    with pytest.raises(ValueError, match="partial_fourier must be 'zeros' or 'pocs'"):
        metagrappa.grappa(acquired, mask, partial_fourier="homodyne")
    from metagrappa import _native
    with pytest.raises(ValueError, match="option partial_fourier = homodyne: expected zeros or pocs"):
        _native.reconstruct("grappa", acquired, mask, {"partial_fourier": "homodyne"})
    np.save(tmp_path / "acquired.npy", acquired)
    r = cli("recon", tmp_path / "acquired.npy", "-o", tmp_path / "out.npy", "--accel", 2, "--partial-fourier", "homodyne")
    assert r.returncode != 0 and "homodyne" in r.stderr and not (tmp_path / "out.npy").exists()

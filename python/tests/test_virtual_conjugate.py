"""Virtual conjugate coils in GRAPPA: against an independent numpy GRAPPA on explicitly
reflected coils (Tests/reference/grappa_numpy.py), the automatic choice, kernels, refusals."""
import os
import sys

import numpy as np
import pytest

import metagrappa
from conftest import ROOT, cli

sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))
import grappa_numpy  # noqa: E402  (the project's independent numpy GRAPPA)


@pytest.fixture(scope="module")
def phantom(tmp_path_factory):
    """A simulated 8-coil 96 x 80 phantom, undersampled R = 3 with 24 ACS lines."""
    path = tmp_path_factory.mktemp("phantom") / "p.npy"
    r = cli("simulate", "-o", path, "--ny", 96, "--nx", 80, "--coils", 8, "--seed", 4)
    assert r.returncode == 0, r.stderr
    k = np.load(path)
    mask = grappa_numpy.uniform_mask(96, 3, 24)
    return k, (k * mask[None, :, None]).astype(np.complex64), mask


def relative(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("accel,acs", [(3, 24), (4, 21)])
def test_fixed_kernel_matches_numpy_with_reflected_coils(tmp_path, phantom, accel, acs):
    k = phantom[0]
    mask = grappa_numpy.uniform_mask(96, accel, acs)
    acquired = (k * mask[None, :, None]).astype(np.complex64)
    # The block the library calibrates on: the whole run of acquired lines around the ACS
    # (it takes in an adjacent lattice line).
    block = (48 - acs // 2, 48 - acs // 2 + acs)
    while mask[block[0] - 1]:
        block = (block[0] - 1, block[1])
    while mask[block[1]]:
        block = (block[0], block[1] + 1)
    ours = metagrappa.grappa(acquired, mask, kernel=(4, 5), lamda=1e-3, virtual_conjugate="on")
    reference = grappa_numpy.grappa(acquired, mask, accel, block, lam=1e-3, virtual_conjugate=True)
    assert relative(ours, reference) < 1e-3
    plain = metagrappa.grappa(acquired, mask, kernel=(4, 5), lamda=1e-3, virtual_conjugate="off")
    assert relative(plain, grappa_numpy.grappa(acquired, mask, accel, block, lam=1e-3)) < 1e-3
    # The two differ by far more than the tolerance: the comparison can fail.
    assert relative(plain, ours) > 20 * relative(ours, reference)
    assert np.array_equal(ours[:, mask], acquired[:, mask])


def test_large_arrays_fit_on_compressed_sources(tmp_path):
    """More than 16 coils: the kernel is fitted from 16 principal components of the coils and
    their reflections to every physical coil (numpy: SVD of the ACS block)."""
    path = tmp_path / "p20.npy"
    r = cli("simulate", "-o", path, "--ny", 96, "--nx", 80, "--coils", 20, "--seed", 6)
    assert r.returncode == 0, r.stderr
    k = np.load(path)
    mask = grappa_numpy.uniform_mask(96, 3, 24)
    acquired = (k * mask[None, :, None]).astype(np.complex64)
    ours = metagrappa.grappa(acquired, mask, kernel=(2, 5), lamda=1e-3, virtual_conjugate="on")
    block = (36, 61)  # the ACS block and the lattice line beside it
    reference = grappa_numpy.grappa(acquired, mask, 3, block, lines=2, lam=1e-3, virtual_conjugate=True, compress_to=16)
    assert relative(ours, reference) < 1e-3
    uncompressed = grappa_numpy.grappa(acquired, mask, 3, block, lines=2, lam=1e-3, virtual_conjugate=True)
    assert relative(uncompressed, reference) > 20 * relative(ours, reference)


def test_the_command_line_and_kernel_files_agree(tmp_path, phantom):
    k, acquired, mask = phantom
    np.save(tmp_path / "a.npy", acquired)
    np.save(tmp_path / "m.npy", mask)
    r = cli("recon", tmp_path / "a.npy", "-o", tmp_path / "o.npy", "--mask", tmp_path / "m.npy",
            "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-3, "--virtual-conjugate", "on", "--timing")
    assert r.returncode == 0, r.stderr
    assert "with virtual conjugate coils" in r.stdout + r.stderr
    ours = metagrappa.grappa(acquired, mask, kernel=(4, 5), lamda=1e-3, virtual_conjugate="on")
    assert np.array_equal(np.load(tmp_path / "o.npy"), ours)
    kernel = metagrappa.calibrate(acquired, mask, kernel=(4, 5), lamda=1e-3, virtual_conjugate="on")
    assert kernel.virtual_conjugate and "virtual_conjugate=True" in repr(kernel)
    kernel.save(tmp_path / "k.mgk")
    loaded = metagrappa.GrappaKernel.load(tmp_path / "k.mgk")
    assert loaded.virtual_conjugate
    assert np.array_equal(loaded.apply(acquired, mask), ours)
    r = cli("recon", tmp_path / "a.npy", "-o", tmp_path / "o2.npy", "--mask", tmp_path / "m.npy", "--kernel", tmp_path / "k.mgk")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "o2.npy"), ours)
    r = cli("calibrate", tmp_path / "a.npy", "-o", tmp_path / "k2.kernel", "--mask", tmp_path / "m.npy", "--kernel-lines", 4,
            "--kernel-readout", 5, "--lambda", 1e-3, "--virtual-conjugate", "on")
    assert r.returncode == 0 and "with virtual conjugate coils" in r.stderr, r.stderr
    assert open(tmp_path / "k2.kernel", "rb").read() == kernel.to_bytes()
    g = metagrappa.gfactor(acquired, mask, kernel=(4, 5), lamda=1e-3, virtual_conjugate="on")
    plain = metagrappa.gfactor(acquired, mask, kernel=(4, 5), lamda=1e-3, virtual_conjugate="off")
    assert np.isfinite(g).all() and not np.array_equal(g, plain)


def test_refusals_and_the_automatic_fallback(tmp_path, phantom):
    k, acquired, mask = phantom
    with pytest.raises(ValueError, match="virtual_conjugate must be"):
        metagrappa.grappa(acquired, mask, virtual_conjugate="yes")
    r = cli("recon", tmp_path / "x.npy", "-o", tmp_path / "o.npy", "--accel", 3, "--virtual-conjugate", "sometimes")
    assert r.returncode == 64 and "virtual-conjugate" in r.stderr
    # Partial Fourier 6/8: the reflection of the measured half is not measured.
    partial = mask.copy()
    partial[:24] = False
    measured = acquired * partial[None, :, None]
    with pytest.raises(ValueError, match="partial Fourier"):
        metagrappa.grappa(measured, partial, virtual_conjugate="on")
    _, info = metagrappa.grappa(measured, partial, return_info=True)
    assert info["virtual_conjugate"] is False
    # A lattice that reflects onto another one (R = 4, offset 1 of 96 lines reflects to 3).
    shifted = (np.arange(96) % 4 == 1) | ((np.arange(96) >= 40) & (np.arange(96) < 56))
    with pytest.raises(ValueError, match="does not reflect onto itself"):
        metagrappa.grappa(k * shifted[None, :, None], shifted, virtual_conjugate="on")
    _, info = metagrappa.grappa(k * shifted[None, :, None], shifted, return_info=True)
    assert info["virtual_conjugate"] is False


def test_automatic_choice_on_a_smooth_phase_brain(tmp_path):
    """The simulated brain (a development slice) has a smooth phase: at R = 6 the automatic
    choice takes the virtual coils and beats the plain automatic GRAPPA on the noise-free image."""
    r = cli("simulate", "-o", tmp_path / "n.npy", "--brain", 95, "--clean", tmp_path / "c.npy")
    assert r.returncode == 0, r.stderr
    k, clean = np.load(tmp_path / "n.npy"), np.load(tmp_path / "c.npy")
    mask = metagrappa.uniform_mask(288, accel=6, acs=32)
    acquired = (k * mask[None, :, None]).astype(np.complex64)
    auto, info = metagrappa.grappa(acquired, mask, return_info=True)
    plain = metagrappa.grappa(acquired, mask, virtual_conjugate="off")
    truth = metagrappa.rss(clean)
    error = lambda x: relative(metagrappa.rss(x), truth)
    assert info["virtual_conjugate"] is True
    assert error(auto) < 0.965 * error(plain), (error(auto), error(plain))  # measured 0.950

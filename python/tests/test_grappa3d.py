"""GRAPPA across ky and kz (`metagrappa.grappa3d`) against the independent numpy reference
(Tests/reference/grappa3d_numpy.py) on a simulated 8-coil volume, and against its truth."""
import os
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))
import grappa3d_numpy as reference  # noqa: E402

import metagrappa  # noqa: E402


@pytest.fixture(scope="module")
def volume():
    return reference.simulate(noise=0.002)


@pytest.mark.parametrize("ry, rz, shift", [(2, 2, 0), (2, 2, 1), (4, 1, 0), (1, 3, 0), (3, 2, 1)])
def test_equals_numpy_grappa_across_ky_and_kz(volume, ry, rz, shift):
    noisy, clean = volume
    nz, _, ny, _ = noisy.shape
    mask, origin = reference.uniform_mask(nz, ny, ry, rz, shift, (10, 12))
    acquired = noisy * mask[:, None, :, None]
    out, info = metagrappa.grappa3d(acquired, mask, return_info=True)
    box = reference.largest_box(mask)
    assert info["acceleration"] == [ry, rz] and info["shift"] == shift
    assert (*info["calibration_partitions"], *info["calibration_lines"]) == box
    expected = reference.grappa3d(acquired, mask, ry, rz, shift, origin, box)
    assert np.linalg.norm(out - expected) / np.linalg.norm(expected) < 1e-4
    zs, ys = np.nonzero(mask)
    assert np.array_equal(out[zs, :, ys, :], acquired[zs, :, ys, :])
    # Far better than the zero-filled acquisition against the truth.
    truth = reference.rss3d(clean)
    error = lambda k: np.linalg.norm(reference.rss3d(k) - truth) / np.linalg.norm(truth)
    assert error(out) < 0.7 * error(acquired), (error(out), error(acquired))


def test_lambda_is_the_ridge_weight(volume):
    noisy, _ = volume
    nz, _, ny, _ = noisy.shape
    mask, origin = reference.uniform_mask(nz, ny, 2, 2, 1, (10, 12))
    acquired = noisy * mask[:, None, :, None]
    box = reference.largest_box(mask)
    out = metagrappa.grappa3d(acquired, mask, lamda=0.05)
    expected = reference.grappa3d(acquired, mask, 2, 2, 1, origin, box, lam=0.05)
    default = reference.grappa3d(acquired, mask, 2, 2, 1, origin, box)
    assert np.linalg.norm(out - expected) < 1e-2 * np.linalg.norm(default - expected)


def test_complex128_keeps_the_measured_samples_exactly(volume):
    noisy, _ = volume
    nz, _, ny, _ = noisy.shape
    mask, _ = reference.uniform_mask(nz, ny, 2, 2, 0, (10, 12))
    acquired = (noisy * mask[:, None, :, None]).astype(np.complex128) * (1 + 1e-9j)
    out = metagrappa.grappa3d(acquired, mask)
    zs, ys = np.nonzero(mask)
    assert out.dtype == np.complex128 and np.array_equal(out[zs, :, ys, :], acquired[zs, :, ys, :])


def test_bad_masks_are_refused_with_the_reason(volume):
    noisy, _ = volume
    nz, _, ny, _ = noisy.shape
    mask, _ = reference.uniform_mask(nz, ny, 2, 2, 0, (10, 12))
    holed = mask.copy()
    holed[0, np.flatnonzero(mask[0])[0]] = False
    with pytest.raises(ValueError, match=r"not a lattice \(2 × 2 \(ky × kz\)\) plus a calibration box: partition 0, line \d+ is on the lattice but not acquired"):
        metagrappa.grappa3d(noisy * holed[:, None, :, None], holed)
    centre = mask.copy()
    centre[nz // 2, ny // 2] = False
    with pytest.raises(ValueError, match="k-space centre .* was not acquired"):
        metagrappa.grappa3d(noisy, centre)
    with pytest.raises(ValueError, match=r"mask must be \[partitions, ky\]"):
        metagrappa.grappa3d(noisy, mask[:, :-1])
    small, _ = reference.uniform_mask(nz, ny, 2, 2, 0, (3, 3))
    with pytest.raises(ValueError, match="calibration box .* too small"):
        metagrappa.grappa3d(noisy * small[:, None, :, None], small)
    with pytest.raises(ValueError, match="unknown option"):
        metagrappa._native.grappa_volume(noisy, mask.astype(np.uint8), {"lamda": 1})

"""The sparse reconstruction from Python: the command line's numbers, its λ reported, and an
automatic λ near the best fixed one on a simulated brain with a noise-free truth."""
import numpy as np
import pytest

import metagrappa
from conftest import cli
from test_cli_equality import _cli_recon


def test_cs_equals_cli_and_reports_its_lambda(tmp_path, phantom):
    mask = metagrappa.uniform_mask(64, accel=3, acs=20)
    acquired = (phantom * mask[None, :, None]).astype(np.complex64)
    out, info = metagrappa.cs(acquired, mask, return_info=True)
    assert out.dtype == np.complex64 and out.shape == acquired.shape
    assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--method", "cs"))
    assert 1e-5 <= info["lambda"] <= 0.5
    fixed, fixed_info = metagrappa.cs(acquired, mask, lamda=2 * info["lambda"], iterations=20, keep_measured=True, return_info=True)
    assert fixed_info["lambda"] == pytest.approx(2 * info["lambda"], rel=1e-6)
    assert np.array_equal(fixed, _cli_recon(tmp_path, acquired, mask, "--method", "cs", "--lambda", 2 * info["lambda"],
                                            "--iterations", 20, "--keep-measured"))
    assert np.array_equal(fixed[:, mask], acquired[:, mask])


@pytest.fixture(scope="module")
def brain_with_truth(tmp_path_factory):
    """Colin27 z = 90 through the paper's array, noise 0.005, and its noise-free k-space."""
    d = tmp_path_factory.mktemp("cs")
    r = cli("simulate", "-o", d / "k.npy", "--clean", d / "clean.npy", "--brain", 90, "--noise", 0.005, "--seed", 9)
    assert r.returncode == 0, r.stderr
    return np.load(d / "k.npy"), np.load(d / "clean.npy")


def _rss(k):
    im = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))
    return np.sqrt((np.abs(im) ** 2).sum(0))


@pytest.mark.parametrize("accel", [3, 6])
def test_automatic_lambda_is_near_the_best_fixed_one(brain_with_truth, accel):
    k, clean = brain_with_truth
    mask = metagrappa.uniform_mask(288, accel=accel, acs=32)
    acquired = (k * mask[None, :, None]).astype(np.complex64)
    truth = _rss(clean)
    error = lambda out: np.linalg.norm(_rss(out) - truth) / np.linalg.norm(truth)  # noqa: E731
    out, info = metagrappa.cs(acquired, mask, return_info=True)
    chosen = info["lambda"]
    others = {f: error(metagrappa.cs(acquired, mask, lamda=f * chosen)) for f in (0.25, 0.5, 2, 4)}
    # Within 3 % of the best of λ/2 and 2λ, and better than λ/4 and 4λ.
    assert error(out) <= 1.03 * min(others[0.5], others[2]), (error(out), others)
    assert error(out) < min(others[0.25], others[4]), (error(out), others)

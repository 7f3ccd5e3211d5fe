"""The package gives the command line's numbers bit for bit (the same library underneath)."""
import numpy as np

import metagrappa
from conftest import cli


def test_uniform_mask_is_the_cli_rule():
    for ny, r, acs in [(288, 4, 32), (96, 3, 24), (65, 5, 12), (64, 2, 1)]:
        expected = np.array([(y - ny // 2) % r == 0 or ny // 2 - acs // 2 <= y < ny // 2 - acs // 2 + acs for y in range(ny)])
        assert np.array_equal(metagrappa.uniform_mask(ny, accel=r, acs=acs), expected)


def _cli_recon(tmp_path, acquired, mask, *args):
    np.save(tmp_path / "in.npy", acquired)
    np.save(tmp_path / "mask.npy", mask)
    r = cli("recon", tmp_path / "in.npy", "--mask", tmp_path / "mask.npy", "-o", tmp_path / "out.npy", *args)
    assert r.returncode == 0, r.stderr
    return np.load(tmp_path / "out.npy")


def test_grappa_equals_cli(tmp_path, brain32):
    _, acquired, mask = brain32
    out, info = metagrappa.grappa(acquired, mask, return_info=True)
    assert out.dtype == np.complex64 and out.shape == acquired.shape
    assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--method", "grappa"))
    # by default the support and λ are chosen for the scan, as the command line does
    assert info["kernel_lines"] in (2, 4) and info["kernel_readout"] in (3, 5, 7) and 1e-5 <= info["lambda"] <= 100
    # other settings reach the library as the flags do
    out = metagrappa.grappa(acquired, mask, kernel=(2, 7), lamda=1e-3)
    assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--kernel-lines", 2, "--kernel-readout", 7, "--lambda", 1e-3))
    out, info = metagrappa.grappa(acquired, mask, kernel=(4, 5), lamda=1e-4, return_info=True)
    assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4))
    assert info["kernel_lines"] == 4 and info["kernel_readout"] == 5 and info["lambda"] == 1e-4


def test_noise_variance_reaches_the_automatic_lambda_as_the_flag_does(tmp_path, brain32):
    _, acquired, mask = brain32
    _, estimated = metagrappa.grappa(acquired, mask, return_info=True)
    quiet, quiet_info = metagrappa.grappa(acquired, mask, noise_variance=1e-12, return_info=True)
    loud, loud_info = metagrappa.grappa(acquired, mask, noise_variance=1e-6, return_info=True)
    assert np.array_equal(loud, _cli_recon(tmp_path, acquired, mask, "--noise-variance", 1e-6))
    # the support does not depend on it; more noise, more regularisation
    assert (quiet_info["kernel_lines"], quiet_info["kernel_readout"]) == (loud_info["kernel_lines"], loud_info["kernel_readout"])
    assert (estimated["kernel_lines"], estimated["kernel_readout"]) == (loud_info["kernel_lines"], loud_info["kernel_readout"])
    assert loud_info["lambda"] > 10 * quiet_info["lambda"], (loud_info["lambda"], quiet_info["lambda"])
    # a fixed λ does not use it
    assert np.array_equal(metagrappa.grappa(acquired, mask, kernel=(4, 5), lamda=1e-4, noise_variance=1e-6),
                          metagrappa.grappa(acquired, mask, kernel=(4, 5), lamda=1e-4))


def test_meta_equals_cli(tmp_path, brain32):
    _, acquired, mask = brain32
    for variant in ["paper", "residual"]:
        out = metagrappa.meta(acquired, mask, variant=variant)
        assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--method", "meta", "--variant", variant))


def test_meta_at_r6_uses_the_r6_model_as_the_cli_does(tmp_path, brain32):
    full, _, _ = brain32
    mask = metagrappa.uniform_mask(288, accel=6, acs=32)
    acquired = (full * mask[None, :, None]).astype(np.complex64)
    out = metagrappa.meta(acquired, mask)
    assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--method", "meta"))
    # the residual variant ships for R = 4 only: both refuse R = 6 with the same words
    r = cli("recon", tmp_path / "in.npy", "--mask", tmp_path / "mask.npy", "-o", tmp_path / "o2.npy", "--method", "meta",
            "--variant", "residual")
    assert r.returncode == 64 and "no meta model is shipped for variant 'residual' at R=6" in r.stderr


def test_raki_equals_cli(tmp_path, phantom):
    mask = metagrappa.uniform_mask(64, accel=2, acs=16)
    acquired = (phantom * mask[None, :, None]).astype(np.complex64)
    out = metagrappa.raki(acquired, mask, seed=4, iterations=30)
    assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--method", "raki", "--seed", 4, "--iterations", 30))
    # the defaults (seed 1, iterations from the scan's shape) as well
    out = metagrappa.raki(acquired, mask, iterations=30)
    assert np.array_equal(out, _cli_recon(tmp_path, acquired, mask, "--method", "raki", "--iterations", 30))
    assert np.array_equal(metagrappa.raki(acquired, mask, seed=1, iterations=30, hidden=(8, 4)),
                          _cli_recon(tmp_path, acquired, mask, "--method", "raki", "--iterations", 30, "--hidden", "8,4"))


def test_calibrated_kernel_equals_cli_kernel_file(tmp_path, brain32):
    _, acquired, mask = brain32
    kernel = metagrappa.calibrate(acquired, mask)
    np.save(tmp_path / "in.npy", acquired)
    np.save(tmp_path / "mask.npy", mask)
    r = cli("calibrate", tmp_path / "in.npy", "--mask", tmp_path / "mask.npy", "-o", tmp_path / "k.kernel")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "k.kernel").read_bytes() == kernel.to_bytes()
    _, info = metagrappa.grappa(acquired, mask, return_info=True)
    assert (kernel.coils, kernel.acceleration, kernel.lines, kernel.readout) == (32, 4, info["kernel_lines"], info["kernel_readout"])
    # applying it is GRAPPA with that kernel
    assert np.array_equal(kernel.apply(acquired, mask), metagrappa.grappa(acquired, mask))


def test_gfactor_equals_cli(tmp_path, brain32):
    _, acquired, mask = brain32
    np.save(tmp_path / "in.npy", acquired)
    np.save(tmp_path / "mask.npy", mask)
    r = cli("recon", tmp_path / "in.npy", "--mask", tmp_path / "mask.npy", "-o", tmp_path / "o.npy", "--gfactor", tmp_path / "g.npy")
    assert r.returncode == 0, r.stderr
    g = metagrappa.gfactor(acquired, mask)
    assert g.dtype == np.float32 and g.shape == (288, 288)
    assert np.array_equal(g, np.load(tmp_path / "g.npy"))
    head = metagrappa.rss(brain32[0]) > 0.1 * metagrappa.rss(brain32[0]).max()
    # The default kernel takes virtual conjugate coils on this smooth-phase slice (measured
    # median 1.06); the physical coils' kernel amplifies the noise more (1.63).
    plain = metagrappa.gfactor(acquired, mask, virtual_conjugate="off")
    assert 0.8 < np.median(g[head]) < 1.3
    assert 1.5 < np.median(plain[head]) < 2.2

"""Every method is equivariant to the data's scale: k-space in any unit gives the same
reconstruction in that unit, its automatic choices (support, λ) included."""
import numpy as np
import pytest

import metagrappa

# A power of two scales float32 exactly, so the library's own power-of-two normalisation
# sees the very same samples: the results must agree bit for bit. Other factors round each
# sample (relative 6e-8), which an iterative or trained method may amplify a little.
EXACT = [2.0 ** -50, 2.0 ** 50]  # 8.9e-16, 1.1e15
ROUNDED = {"grappa": 1e-5, "cs": 2e-3, "raki": 2e-2, "meta": 1e-4}

METHODS = {
    "grappa": lambda k, m: metagrappa.grappa(k, m, return_info=True),
    "cs": lambda k, m: metagrappa.cs(k, m, return_info=True),
    "raki": lambda k, m: metagrappa.raki(k, m, seed=1, iterations=150, return_info=True),
}


def choices(info):
    """What the reconstruction chose (support, λ), without its timings."""
    return {key: value for key, value in info.items() if not key.endswith("seconds")}


def check(method, acquired, mask):
    out, info = method(acquired, mask)
    for scale in EXACT:
        scaled, scaled_info = method(acquired * np.float32(scale), mask)
        assert np.array_equal(scaled, out * np.float32(scale)), scale
        assert choices(scaled_info) == choices(info), scale
    errors = []
    for scale in (1e-15, 1e15):
        scaled, _ = method(acquired * np.float32(scale), mask)
        errors.append(np.linalg.norm(scaled / np.float32(scale) - out) / np.linalg.norm(out))
    return out, errors


@pytest.mark.parametrize("name", ["grappa", "cs", "raki"])
def test_every_method_is_scale_equivariant(phantom, name):
    mask = metagrappa.uniform_mask(phantom.shape[1], accel=3, acs=16)
    acquired = (phantom * mask[None, :, None]).astype(np.complex64)
    out, errors = check(METHODS[name], acquired, mask)
    assert max(errors) < ROUNDED[name], errors
    # Not a trivial pass: the reconstruction filled the missing lines.
    missing = ~mask
    assert np.linalg.norm(out[:, missing]) > 0.05 * np.linalg.norm(phantom[:, missing])


def test_meta_is_scale_equivariant(brain32):
    _, acquired, mask = brain32
    out, errors = check(lambda k, m: metagrappa.meta(k, m, return_info=True), acquired, mask)
    assert max(errors) < ROUNDED["meta"], errors


def test_grappa_at_extreme_scales_without_compression(phantom):
    # float32 squares of 1e30 overflow: the fit runs on normalised data, no compression asked.
    mask = metagrappa.uniform_mask(phantom.shape[1], accel=2, acs=16)
    acquired = (phantom * mask[None, :, None]).astype(np.complex64)
    out = metagrappa.grappa(acquired, mask)
    for scale in (1e30, 1e-30):
        big = metagrappa.grappa(acquired * np.float32(scale), mask)
        assert np.all(np.isfinite(big))
        assert np.linalg.norm(big / np.float32(scale) - out) / np.linalg.norm(out) < 1e-4, scale


def test_kernel_noise_and_gfactor_do_not_depend_on_scale(phantom):
    mask = metagrappa.uniform_mask(phantom.shape[1], accel=3, acs=16)
    acquired = (phantom * mask[None, :, None]).astype(np.complex64)
    scale = np.float32(2.0 ** -60)
    kernel = metagrappa.calibrate(acquired, mask)
    assert kernel.to_bytes() == metagrappa.calibrate(acquired * scale, mask).to_bytes()
    # The map's coil combination weights come from the image, to rounding.
    assert np.allclose(metagrappa.gfactor(acquired, mask), metagrappa.gfactor(acquired * scale, mask), rtol=1e-5, atol=0)
    # A given noise variance is in the data's units: scaled with them, the same choice.
    a = metagrappa.grappa(acquired, mask, noise_variance=1e-4, return_info=True)
    b = metagrappa.grappa(acquired * scale, mask, noise_variance=1e-4 * float(scale) ** 2, return_info=True)
    assert a[1]["lambda"] == b[1]["lambda"] and np.array_equal(a[0] * scale, b[0])

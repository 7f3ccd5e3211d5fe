"""What a numpy user meets: shapes, dtypes, coil axes, measured samples, kernels, threads."""
import pickle
import threading
import time

import numpy as np
import pytest

import metagrappa


def nrmse(a, b):
    return np.linalg.norm(metagrappa.rss(a) - metagrappa.rss(b)) / np.linalg.norm(metagrappa.rss(b))


def test_grappa_fills_the_missing_lines(brain32):
    full, acquired, mask = brain32
    out = metagrappa.grappa(acquired, mask)
    # measured samples kept exactly; the error well below zero-filling's
    assert np.array_equal(out[:, mask, :], acquired[:, mask, :])
    assert nrmse(out, full) < 0.3 * nrmse(acquired, full)
    assert nrmse(out, full) < 0.045


def test_complex128_and_coil_axis(brain32):
    full, acquired, mask = brain32
    reference = metagrappa.grappa(acquired, mask)
    wide = acquired.astype(np.complex128) + 1e-12j  # not representable in complex64
    out = metagrappa.grappa(wide, mask)
    assert out.dtype == np.complex128 and out.shape == wide.shape
    assert np.array_equal(out[:, mask, :], wide[:, mask, :])
    # computed in complex64: input bits below its precision move the single-precision solve
    # by its rounding (measured 9e-4 relative), not more
    difference = np.linalg.norm(out[:, ~mask, :] - reference[:, ~mask, :]) / np.linalg.norm(reference[:, ~mask, :])
    assert difference < 5e-3, difference
    assert np.array_equal(metagrappa.grappa(acquired.astype(np.complex128), mask), reference)
    moved = np.moveaxis(acquired, 0, 2)  # [ky, kx, coils]
    out = metagrappa.grappa(moved, mask, coil_axis=2)
    assert out.shape == moved.shape and np.array_equal(np.moveaxis(out, 2, 0), reference)
    out = metagrappa.grappa(np.asfortranarray(acquired), mask)
    assert np.array_equal(out, reference)


def test_kernel_objects_pickle_save_and_load(tmp_path, brain32):
    _, acquired, mask = brain32
    kernel = metagrappa.calibrate(acquired, mask, kernel=(2, 5), lamda=1e-3)
    assert (kernel.lines, kernel.readout, kernel.lamda) == (2, 5, 1e-3)
    again = pickle.loads(pickle.dumps(kernel))
    kernel.save(tmp_path / "k.kernel")
    loaded = metagrappa.GrappaKernel.load(tmp_path / "k.kernel")
    a, b, c = (k.apply(acquired, mask) for k in (kernel, again, loaded))
    assert np.array_equal(a, b) and np.array_equal(a, c)
    assert np.array_equal(a, metagrappa.grappa(acquired, mask, kernel=(2, 5), lamda=1e-3))


def test_rss_is_numpys(brain32):
    full, _, _ = brain32
    images = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(full.astype(np.complex128), axes=(1, 2))), axes=(1, 2))
    expected = np.sqrt((np.abs(images) ** 2).sum(0)) * np.sqrt(288 * 288)  # orthonormal transform
    assert np.allclose(metagrappa.rss(full), expected, rtol=1e-4, atol=1e-6 * expected.max())


def test_threads_setting_leaves_results_unchanged(brain32):
    _, acquired, mask = brain32
    before = metagrappa.threads()
    try:
        metagrappa.set_threads(1)
        one = metagrappa.grappa(acquired, mask)
        metagrappa.set_threads(2)
        two = metagrappa.grappa(acquired, mask)
    finally:
        metagrappa.set_threads(before)
    assert np.array_equal(one, two)
    with pytest.raises(ValueError):
        metagrappa.set_threads(0)


def test_the_gil_is_released_while_computing(brain32):
    """Python code in another thread keeps running during a reconstruction."""
    _, acquired, mask = brain32
    ticks, done = [0], threading.Event()

    def count():
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.001)
    worker = threading.Thread(target=count)
    worker.start()
    start = ticks[0]
    metagrappa.meta(acquired, mask, variant="residual")
    during = ticks[0] - start
    done.set()
    worker.join()
    assert during >= 20, f"the other thread ran only {during} times during the call"


def test_concurrent_calls_give_the_serial_results(brain32):
    _, acquired, mask = brain32
    serial = [metagrappa.grappa(acquired, mask), metagrappa.grappa(acquired, mask, kernel=(2, 7))]
    results = [None, None]

    def run(i):
        results[i] = metagrappa.grappa(acquired, mask) if i == 0 else metagrappa.grappa(acquired, mask, kernel=(2, 7))
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.array_equal(results[0], serial[0]) and np.array_equal(results[1], serial[1])

"""Phase partial Fourier: a 6/8 acquisition with GRAPPA R = 2 (Siemens raw data written by
twixtools) is reconstructed on the lines it covers and zero-filled beyond them, as a numpy
GRAPPA of the acquired region then zero-filling gives it."""
import os
import subprocess
import sys

import nibabel as nib
import numpy as np

from conftest import ROOT, cli, data_file, write_ismrmrd

sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))
import grappa_numpy  # noqa: E402  (the project's independent numpy GRAPPA)


def acs_block(mask):
    """The longest run of consecutive acquired lines, as (first, end): the block the library
    calibrates on."""
    block = np.flatnonzero(mask)
    runs = np.split(block, np.flatnonzero(np.diff(block) != 1) + 1)
    acs = max(runs, key=len)
    return acs[0], acs[-1] + 1


def brain_twix(tmp_path, *args):
    """The shipped 16-coil brain written by twixtools at R = 2 with 24 reference lines and
    `args`: (its path, the fully sampled scan, the acquired k-space, its mask)."""
    import metagrappa
    source = data_file("twix/xa61_brain_16ch_gre_128.dat", tmp_path)
    path = tmp_path / "acquired.dat"
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "reference", "make_twix.py"), source, path, "--accel", "2",
                    "--acs", "24", "--protocol-lines", *args], check=True, capture_output=True)
    acquired, info = metagrappa.read(path)
    return path, metagrappa.read(source)[0], acquired, info["mask"]


def test_partial_fourier_grappa_equals_grappa_then_zero_fill(tmp_path):
    # The first 32 of 128 lines never acquired (6/8), R = 2 with 24 reference lines.
    path, _, acquired, mask = brain_twix(tmp_path, "--line-offset", "32")
    assert not mask[:32].any() and mask[32::2].all()
    fixed, automatic = tmp_path / "fixed.npy", tmp_path / "auto.npy"
    r = cli("recon", path, "-o", fixed, "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    r = cli("recon", path, "-o", automatic)
    assert r.returncode == 0, r.stderr
    fixed, automatic = np.load(fixed), np.load(automatic)
    assert not fixed[:, :32].any() and not automatic[:, :32].any()
    assert np.array_equal(fixed[:, mask], acquired[:, mask])
    # numpy GRAPPA of the region [32, 128) alone, zero-filled beyond it.
    region = acquired[:, 32:].astype(np.complex64)
    reference = np.zeros_like(acquired)
    reference[:, 32:] = grappa_numpy.grappa(region, mask[32:], 2, acs_block(mask[32:]))
    error = np.linalg.norm(fixed - reference) / np.linalg.norm(reference)
    assert error < 1e-3, error


def test_partial_fourier_automatic_grappa_against_the_noise_free_truth(tmp_path):
    """On a simulated scan with its noise-free image: the default (automatic) GRAPPA of a 6/8
    R = 2 acquisition, against the numpy GRAPPA (classic 4 x 5, λ 1e-4) of the acquired
    region then zero-filling; both scored on the truth zero-filled alike."""
    r = cli("simulate", "-o", tmp_path / "noisy.npy", "--brain", 95, "--clean", tmp_path / "clean.npy")
    assert r.returncode == 0, r.stderr
    noisy, clean = np.load(tmp_path / "noisy.npy"), np.load(tmp_path / "clean.npy")
    ny = noisy.shape[1]
    skipped = ny // 4
    mask = grappa_numpy.uniform_mask(ny, 2, 24)
    mask[:skipped] = False
    np.save(tmp_path / "mask.npy", mask)
    np.save(tmp_path / "acquired.npy", (noisy * mask[None, :, None]).astype(np.complex64))
    r = cli("recon", tmp_path / "acquired.npy", "-o", tmp_path / "out.npy", "--mask", tmp_path / "mask.npy")
    assert r.returncode == 0, r.stderr
    ours = np.load(tmp_path / "out.npy")
    assert not ours[:, :skipped].any()
    a0, a1 = ny // 2 - 12, ny // 2 + 12
    while mask[a0 - 1]:
        a0 -= 1
    while a1 < ny and mask[a1]:
        a1 += 1
    reference = np.zeros_like(noisy)
    reference[:, skipped:] = grappa_numpy.grappa((noisy * mask[None, :, None])[:, skipped:].astype(np.complex64), mask[skipped:], 2,
                                                 (a0 - skipped, a1 - skipped))
    truth = clean.copy()
    truth[:, :skipped] = 0
    image = lambda k: grappa_numpy.rss(k.astype(np.complex128))
    error = lambda k: np.linalg.norm(image(k) - image(truth)) / np.linalg.norm(image(truth))
    print(f"6/8 R=2: automatic {error(ours):.4f}, numpy classic then zero-fill {error(reference):.4f}")
    assert error(ours) <= 1.05 * error(reference), (error(ours), error(reference))


def test_asymmetric_echo_is_completed_with_zeros_and_reconstructed_where_acquired(tmp_path):
    # The first 24 of 128 readout samples never acquired (the echo at sample 40 of 104).
    path, full, acquired, mask = brain_twix(tmp_path, "--echo-asymmetry", "24")
    assert acquired.shape == full.shape and not acquired[:, :, :24].any()
    assert np.array_equal(acquired[:, mask, 24:], full[:, mask, 24:])
    r = cli("info", path)
    assert "asymmetric echo: 104 samples recorded with the echo at sample 40" in r.stdout, r.stdout
    out = tmp_path / "out.npy"
    r = cli("recon", path, "-o", out, "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    out = np.load(out)
    assert not out[:, :, :24].any()
    reference = np.zeros_like(acquired)
    reference[:, :, 24:] = grappa_numpy.grappa(acquired[:, :, 24:].astype(np.complex64), mask, 2, acs_block(mask))
    assert np.linalg.norm(out - reference) / np.linalg.norm(reference) < 1e-3


def test_repetitions_without_reference_lines_use_the_first_repetitions_kernel(tmp_path):
    """Reference lines acquired once (repetition 0): repetition 1 is filled by the kernel
    calibrated on repetition 0, as numpy GRAPPA calibrated there and applied to repetition 1
    fills it; other methods are refused with the reason."""
    path, _, acquired, _ = brain_twix(tmp_path, "--repetitions", "2", "--reference-once")
    import metagrappa
    _, info = metagrappa.read(path)
    masks = info["mask"]
    assert masks[0].sum() > masks[1].sum()  # repetition 1: the lattice alone
    out = tmp_path / "out.npy"
    r = cli("recon", path, "-o", out, "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    out = np.load(out)
    block = np.flatnonzero(masks[0] & ~masks[1])
    a0, a1 = block[0], block[-1] + 1
    while masks[0][a0 - 1]:
        a0 -= 1
    while masks[0][a1]:
        a1 += 1
    # Repetition 1's lattice with repetition 0's reference block: numpy calibrates on the
    # latter and fills repetition 1's missing lines from the former where the kernel (4
    # lattice lines, R = 2) reaches no line of the block.
    composite = acquired[1].copy()
    composite[:, a0:a1] = acquired[0][:, a0:a1]
    reference = grappa_numpy.grappa(composite.astype(np.complex64), masks[0], 2, (a0, a1))
    outside = np.ones(out.shape[2], bool)
    outside[a0 - 8:a1 + 8] = False
    error = np.linalg.norm(out[1][:, outside] - reference[:, outside]) / np.linalg.norm(reference[:, outside])
    assert error < 1e-3, error  # float32 solves: 3e-4 apart
    assert np.abs(out[1][:, a0:a1][:, ~masks[1][a0:a1]]).min() > 0  # the block's lines are estimated too
    r = cli("recon", path, "-o", tmp_path / "raki.npy", "--method", "raki")
    assert r.returncode == 64 and "has no reference lines of its own (they were acquired with slice 0)" in r.stderr, r.stderr


def test_ismrmrd_contrast_without_calibration_uses_the_kernel_of_its_slice(tmp_path):
    """ISMRMRD: the generator's accelerated phantom given a second contrast (echo) whose
    calibration acquisitions are removed: that frame is filled by the kernel calibrated on the
    first contrast, as `calibrate` on it and `recon --kernel` give it."""
    full = tmp_path / "full.h5"
    subprocess.run(["ismrmrd_generate_cartesian_shepp_logan", "-m", "64", "-c", "4", "-a", "2", "-w", "16", "-C",
                    "-o", str(full)], check=True, capture_output=True)
    edited = tmp_path / "echoes.h5"
    # h5py in a process of its own: its libhdf5 and the tool's must not meet.
    code = f"""
import h5py, numpy as np
CAL, CAL_AND_IMAGING = 1 << 19, 1 << 20
with h5py.File({str(full)!r}, "r") as src, h5py.File({str(edited)!r}, "w") as dst:
    records = list(src["dataset/data"])
    second = []
    for r in records:
        flags = int(r["head"]["flags"])
        if flags & CAL or flags & (1 << 18):
            continue  # no calibration-only (or noise) acquisitions in the second echo
        r = r.copy()
        r["head"]["flags"] = flags & ~CAL_AND_IMAGING
        r["head"]["idx"]["contrast"] = 1
        r["data"] = r["data"] * np.float32(0.5)
        second.append(r)
    data = dst.create_dataset("dataset/data", (len(records) + len(second),), dtype=src["dataset/data"].dtype)
    for i, r in enumerate(records + second):
        data[i] = r
    dst.create_dataset("dataset/xml", data=src["dataset/xml"][()])
"""
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    r = cli("recon", edited, "-o", tmp_path / "shared.npy", "--no-prewhiten", "--timing")
    assert r.returncode == 0, r.stderr
    shared = np.load(tmp_path / "shared.npy")
    # The generator's R = 2 phantom is two repetitions on shifted lattices: slices 0, 1 the
    # first echo, 2, 3 the second, which calibrates on slice 0.
    assert shared.shape[0] == 4
    r = cli("calibrate", edited, "-o", tmp_path / "k.kernel", "--slice", 0)
    assert r.returncode == 0, r.stderr
    for s in (2, 3):
        r = cli("recon", edited, "-o", tmp_path / f"given{s}.npy", "--slice", s, "--kernel", tmp_path / "k.kernel", "--no-prewhiten")
        assert r.returncode == 0, r.stderr
        assert np.array_equal(shared[s], np.load(tmp_path / f"given{s}.npy")), s
    r = cli("recon", edited, "-o", tmp_path / "cs.npy", "--method", "cs")
    assert r.returncode == 64 and "slice 2 has no reference lines of its own" in r.stderr, r.stderr


def test_ismrmrd_asymmetric_echo(tmp_path):
    """ISMRMRD: readouts with their first 32 of 128 samples removed and `center_sample`
    lowered to match are placed back where they were, zeros before; recon leaves those zero."""
    import metagrappa
    full = tmp_path / "full.h5"
    subprocess.run(["ismrmrd_generate_cartesian_shepp_logan", "-m", "64", "-c", "4", "-a", "2", "-w", "16", "-o", str(full)],
                   check=True, capture_output=True)
    edited = tmp_path / "asym.h5"
    code = f"""
import h5py, numpy as np, shutil
shutil.copy({str(full)!r}, {str(edited)!r})
with h5py.File({str(edited)!r}, "r+") as f:
    d = f["dataset/data"]
    for i in range(len(d)):
        r = d[i]
        n, c = int(r["head"]["number_of_samples"]), int(r["head"]["active_channels"])
        r["data"] = r["data"].reshape(c, n, 2)[:, 32:].ravel()
        r["head"]["number_of_samples"] = n - 32
        r["head"]["center_sample"] = n // 2 - 32
        d[i] = r
"""
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    original, _ = metagrappa.read(full)
    edited_k, info = metagrappa.read(edited)
    assert edited_k.shape == original.shape
    assert not edited_k[..., :32].any() and np.array_equal(edited_k[..., 32:], original[..., 32:])
    r = cli("recon", edited, "-o", tmp_path / "out.npy", "--slice", 0)
    assert r.returncode == 0, r.stderr
    out = np.load(tmp_path / "out.npy")
    assert not out[..., :32].any() and np.abs(out[..., 32:]).max() > 0


def test_3d_slab_accelerated_along_ky(tmp_path):
    """A 3-D twix slab of 8 partitions at R = 2 along ky (twixtools): recon writes
    [kz, coils, ky, kx] with the missing lines filled, as numpy does it: inverse FFT along kz,
    numpy GRAPPA on every z plane, FFT back."""
    path, full2d, acquired, mask = brain_twix(tmp_path, "--partitions", "8")
    assert acquired.shape[0] == 8 and mask.shape == (8, full2d.shape[1]) and (mask == mask[0]).all()
    r = cli("info", path)
    assert "partitions: 8" in r.stdout, r.stdout
    out = tmp_path / "out.npy"
    r = cli("recon", path, "-o", out, "--method", "grappa", "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    out = np.load(out)
    assert out.shape == acquired.shape
    shift = lambda x, f: np.fft.fftshift(f(np.fft.ifftshift(x, axes=0), axis=0, norm="ortho"), axes=0)
    planes = shift(acquired.astype(np.complex128), np.fft.ifft).astype(np.complex64)
    filled = np.stack([grappa_numpy.grappa(p, mask[0], 2, acs_block(mask[0])) for p in planes])
    reference = shift(filled.astype(np.complex128), np.fft.fft)
    error = np.linalg.norm(out - reference) / np.linalg.norm(reference)
    assert error < 1e-3, error
    assert np.allclose(out[:, :, mask[0]], acquired[:, :, mask[0]], rtol=0, atol=1e-5 * abs(acquired).max())
    # The NIfTI image of the slab: 8 z planes, 1/8 of the slab's thickness apart, each the RSS
    # image of the reconstructed k-space's plane.
    r = cli("recon", path, "-o", tmp_path / "img.nii", "--method", "grappa", "--kernel-lines", 4, "--kernel-readout", 5,
            "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    image = nib.load(tmp_path / "img.nii")
    from test_images import protocol, rss_image
    assert image.shape[2] == 8
    expected = rss_image(shift(out.astype(np.complex128), np.fft.ifft), 1)
    data = image.get_fdata()
    for z in range(8):
        assert np.allclose(data[:, :, z].T, expected[z], rtol=1e-3, atol=1e-4 * expected.max()), z
    slab = protocol(data_file("twix/xa61_brain_16ch_gre_128.dat", tmp_path))["dThickness"]  # the protocol make_twix copied
    assert abs(np.linalg.norm(image.affine[:3, 2]) - slab / 8) < 1e-4


def test_3d_slab_with_partial_fourier_along_kz(tmp_path):
    """16 partitions of which the first 4 were never acquired (12/16), R = 2 along ky: recon
    zero-fills them, as numpy does it: the kz transform of the zero-filled slab, numpy GRAPPA
    on every z plane, the transform back, those partitions zero again."""
    path, _, acquired, mask = brain_twix(tmp_path, "--partitions", "16", "--partition-partial-fourier", "4")
    assert acquired.shape[0] == 16 and not mask[:4].any() and (mask[4:] == mask[4]).all()
    out = tmp_path / "out.npy"
    r = cli("recon", path, "-o", out, "--method", "grappa", "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    out = np.load(out)
    shift = lambda x, f: np.fft.fftshift(f(np.fft.ifftshift(x, axes=0), axis=0, norm="ortho"), axes=0)
    planes = shift(acquired.astype(np.complex128), np.fft.ifft).astype(np.complex64)
    filled = np.stack([grappa_numpy.grappa(p, mask[4], 2, acs_block(mask[4])) for p in planes])
    reference = shift(filled.astype(np.complex128), np.fft.fft)
    reference[:4] = 0
    assert not out[:4].any()
    error = np.linalg.norm(out - reference) / np.linalg.norm(reference)
    assert error < 1e-3, error
    # A sequence that counts the acquired partitions from 0 and records the centre partition
    # accordingly: placed by the centre, the same file.
    (tmp_path / "counted").mkdir()
    counted, _, counted_k, counted_mask = brain_twix(tmp_path / "counted", "--partitions", "16", "--partition-offset", "4")
    assert np.array_equal(counted_k, acquired) and np.array_equal(counted_mask, mask)
    assert "counters shifted by 4" in cli("info", counted).stdout
    # Only zero filling completes it along kz: POCS is refused with the reason, nothing written.
    r = cli("recon", path, "-o", tmp_path / "pocs.npy", "--partial-fourier", "pocs")
    assert r.returncode == 64 and "partial Fourier along kz (partitions 4…15 of 16 measured)" in r.stderr, r.stderr
    assert not (tmp_path / "pocs.npy").exists()
    # With acceleration along kz as well it is refused, naming both.
    path2 = tmp_path / "caipi.dat"
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "reference", "make_twix.py"),
                    data_file("twix/xa61_brain_16ch_gre_128.dat", tmp_path), path2, "--accel", "2", "--acs", "24",
                    "--protocol-lines", "--partitions", "16", "--partition-accel", "2", "--partition-acs", "8",
                    "--partition-partial-fourier", "2"], check=True, capture_output=True)
    r = cli("recon", path2, "-o", tmp_path / "caipi.npy")
    assert r.returncode == 64 and "partial Fourier along kz with acceleration along kz is not supported" in r.stderr, r.stderr


def test_ismrmrd_3d_with_partial_fourier_along_kz(tmp_path):
    """The same in ISMRMRD (kspace_encode_step_2): a simulated 8-coil volume of 24 partitions,
    the last 6 never acquired, R = 2 along ky with 12 ACS lines in every partition."""
    import grappa3d_numpy
    noisy, _ = grappa3d_numpy.simulate(noise=0.002)
    nz, _, ny, _ = noisy.shape
    lines = grappa_numpy.uniform_mask(ny, 2, 12)
    mask = np.repeat(lines[None], nz, axis=0)
    mask[-6:] = False
    acquired = noisy * mask[:, None, :, None]
    write_ismrmrd(tmp_path / "v.h5", acquired, mask)
    assert "partial Fourier along kz: partitions 0…17 of 24 measured" in cli("info", tmp_path / "v.h5").stdout
    r = cli("recon", tmp_path / "v.h5", "-o", tmp_path / "out.npy", "--kernel-lines", 4, "--kernel-readout", 5, "--lambda", 1e-4)
    assert r.returncode == 0, r.stderr
    out = np.load(tmp_path / "out.npy")
    shift = lambda x, f: np.fft.fftshift(f(np.fft.ifftshift(x, axes=0), axis=0, norm="ortho"), axes=0)
    planes = shift(acquired.astype(np.complex128), np.fft.ifft).astype(np.complex64)
    reference = shift(np.stack([grappa_numpy.grappa(p, lines, 2, acs_block(lines)) for p in planes]).astype(np.complex128), np.fft.fft)
    reference[-6:] = 0
    assert not out[-6:].any()
    assert np.linalg.norm(out - reference) / np.linalg.norm(reference) < 1e-3

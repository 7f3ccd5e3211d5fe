"""GRAPPA across ky and kz (`metagrappa.grappa3d`, and `recon` of a Siemens 3-D file accelerated
along both) against the independent numpy reference (Tests/reference/grappa3d_numpy.py) on a
simulated 8-coil volume, and against its truth."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, cli, data_file, write_ismrmrd

sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))
import grappa3d_numpy as reference  # noqa: E402

import metagrappa  # noqa: E402


@pytest.fixture(scope="module")
def volume():
    return reference.simulate(noise=0.002)


# (Ry, Rz, shift, calibration box, the automatic reach): reach 2 where both axes are accelerated
# and the box gives every kernel >= 3 rows per unknown (9 readout positions x its positions).
CASES = [(2, 2, 0, (12, 16), 1), (2, 2, 1, (12, 16), 1), (2, 2, 1, (16, 24), 2), (4, 1, 0, (12, 16), 1),
         (1, 3, 0, (12, 16), 1), (3, 2, 1, (12, 16), 1)]


@pytest.mark.parametrize("ry, rz, shift, calibration, reach", CASES)
def test_equals_numpy_grappa_across_ky_and_kz(volume, ry, rz, shift, calibration, reach):
    noisy, clean = volume
    nz, _, ny, _ = noisy.shape
    mask, origin = reference.uniform_mask(nz, ny, ry, rz, shift, calibration)
    acquired = noisy * mask[:, None, :, None]
    out, info = metagrappa.grappa3d(acquired, mask, return_info=True)
    assert info["reach"] == reach
    box = reference.largest_box(mask)
    assert info["acceleration"] == [ry, rz] and info["shift"] == shift
    assert (*info["calibration_partitions"], *info["calibration_lines"]) == box
    expected = reference.grappa3d(acquired, mask, ry, rz, shift, origin, box, reach=reach)
    assert np.linalg.norm(out - expected) / np.linalg.norm(expected) < 1e-4
    zs, ys = np.nonzero(mask)
    assert np.array_equal(out[zs, :, ys, :], acquired[zs, :, ys, :])
    # Clearly better than the zero-filled acquisition against the truth (0.47-0.72x measured).
    truth = reference.rss3d(clean)
    error = lambda k: np.linalg.norm(reference.rss3d(k) - truth) / np.linalg.norm(truth)
    assert error(out) < 0.8 * error(acquired), (error(out), error(acquired))


def test_lambda_is_the_ridge_weight(volume):
    noisy, _ = volume
    nz, _, ny, _ = noisy.shape
    mask, origin = reference.uniform_mask(nz, ny, 2, 2, 1, (12, 16))
    acquired = noisy * mask[:, None, :, None]
    box = reference.largest_box(mask)
    out = metagrappa.grappa3d(acquired, mask, lamda=0.05)
    expected = reference.grappa3d(acquired, mask, 2, 2, 1, origin, box, lam=0.05)
    default = reference.grappa3d(acquired, mask, 2, 2, 1, origin, box)
    assert np.linalg.norm(out - expected) < 1e-2 * np.linalg.norm(default - expected)


def test_complex128_keeps_the_measured_samples_exactly(volume):
    noisy, _ = volume
    nz, _, ny, _ = noisy.shape
    mask, _ = reference.uniform_mask(nz, ny, 2, 2, 0, (12, 16))
    acquired = (noisy * mask[:, None, :, None]).astype(np.complex128) * (1 + 1e-9j)
    out = metagrappa.grappa3d(acquired, mask)
    zs, ys = np.nonzero(mask)
    assert out.dtype == np.complex128 and np.array_equal(out[zs, :, ys, :], acquired[zs, :, ys, :])


def test_bad_masks_are_refused_with_the_reason(volume):
    noisy, _ = volume
    nz, _, ny, _ = noisy.shape
    mask, _ = reference.uniform_mask(nz, ny, 2, 2, 0, (12, 16))
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


@pytest.mark.parametrize("shift", [0, 1])
def test_a_siemens_3d_file_accelerated_along_ky_and_kz(tmp_path, shift):
    """2 x 2 (CAIPIRINHA-shifted or not) with a 24-line x 8-partition reference box, written by
    twixtools: `recon` with no sampling options equals the numpy reference on the file's data."""
    source = data_file("twix/xa61_brain_16ch_gre_128.dat", tmp_path)
    path = tmp_path / "volume.dat"
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "reference", "make_twix.py"), source, path, "--accel", "2",
                    "--acs", "24", "--protocol-lines", "--partitions", "16", "--partition-accel", "2", "--partition-acs", "8",
                    "--caipi-shift", str(shift)], check=True, capture_output=True)
    acquired, info = metagrappa.read(path)
    mask = info["mask"].astype(bool)
    expected_mask, origin = reference.uniform_mask(16, 128, 2, 2, shift, (8, 24))
    assert acquired.shape == (16, 16, 128, 128) and np.array_equal(mask, expected_mask)
    r = cli("info", path)
    # What the protocol says (make_twix writes sPat) beside what the scans show.
    assert "protocol acceleration: R = 2, 24 reference lines; × 2 along kz, 8 reference partitions" + (
        f", CAIPIRINHA shift {shift}" if shift else "") in r.stdout, r.stdout
    assert ("slab 0 acquisitions (ky and kz): lattice 2 × 2 (ky × kz)" + (", CAIPIRINHA shift 1" if shift else "")
            + ", calibration box of 8 partitions [4, 12) × 24 lines [52, 76)") in r.stdout, r.stdout
    out = tmp_path / "out.npy"
    r = cli("recon", path, "-o", out)
    assert r.returncode == 0, r.stderr
    out = np.load(out)
    expected = reference.grappa3d(acquired, mask, 2, 2, shift, origin, reference.largest_box(mask), reach=1)
    assert np.linalg.norm(out - expected) / np.linalg.norm(expected) < 1e-4
    # The NIfTI image: per z plane the RSS image of the reconstructed k-space's plane.
    import nibabel as nib
    from test_images import rss_image
    r = cli("recon", path, "-o", tmp_path / "img.nii")
    assert r.returncode == 0, r.stderr
    along_kz = np.fft.fftshift(np.fft.ifft(np.fft.ifftshift(out.astype(np.complex128), axes=0), axis=0, norm="ortho"), axes=0)
    image = nib.load(tmp_path / "img.nii")
    planes, data = rss_image(along_kz, 1), image.get_fdata()
    assert data.shape[2] == 16
    # Placed by the slab's scans, though the lattice leaves its last partition without any.
    from test_images import protocol
    assert "no geometry" not in r.stderr, r.stderr
    assert abs(np.linalg.norm(image.affine[:3, 2]) - protocol(source)["dThickness"] / 16) < 1e-4
    for z in range(16):
        assert np.allclose(data[:, :, z].T, planes[z], rtol=1e-3, atol=1e-4 * planes.max()), z
    # Methods that do not solve the (kz, ky) problem are refused with the reason, and write nothing.
    r = cli("recon", path, "-o", tmp_path / "raki.npy", "--method", "raki")
    assert r.returncode == 64 and "acceleration along kz" in r.stderr and not (tmp_path / "raki.npy").exists(), r.stderr


def test_an_ismrmrd_3d_file_accelerated_along_ky_and_kz(tmp_path, volume):
    """kspace_encode_step_2 as the partition: a 2 x 2 CAIPIRINHA volume written as ISMRMRD
    (h5py, in a process of its own) reconstructs as the numpy reference does."""
    noisy, _ = volume
    nz, _, ny, _ = noisy.shape
    mask, origin = reference.uniform_mask(nz, ny, 2, 2, 1, (12, 16))
    box = reference.largest_box(mask)
    # Placed: the slab's centre and directions (LPS), its 5 mm (the writer's encoded z field of
    # view) shared by the 24 partitions.
    centre, read, phase, normal = [10.0, -20.0, 30.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]
    write_ismrmrd(tmp_path / "v.h5", noisy, mask, reference.box_mask(mask), placement=(centre, read, phase, normal))
    acquired, info = metagrappa.read(tmp_path / "v.h5")
    assert acquired.shape == noisy.shape and np.array_equal(info["mask"].astype(bool), mask)
    r = cli("info", tmp_path / "v.h5")
    assert "slab 0 acquisitions (ky and kz): lattice 2 × 2 (ky × kz), CAIPIRINHA shift 1" in r.stdout, r.stdout
    r = cli("recon", tmp_path / "v.h5", "-o", tmp_path / "out.npy")
    assert r.returncode == 0, r.stderr
    expected = reference.grappa3d(acquired, mask, 2, 2, 1, origin, box, reach=1)
    out = np.load(tmp_path / "out.npy")
    assert np.linalg.norm(out - expected) / np.linalg.norm(expected) < 1e-4
    # The image: z plane p at the centre + (p - 12) x 5/24 mm along the slice direction (RAS).
    import nibabel as nib
    r = cli("recon", tmp_path / "v.h5", "-o", tmp_path / "img.nii")
    assert r.returncode == 0 and "no geometry" not in r.stderr, r.stderr
    affine = nib.load(tmp_path / "img.nii").affine
    ras = np.array([-1.0, -1.0, 1.0])
    assert np.allclose(affine[:3, 2], np.array(normal) * 5 / nz * ras, atol=1e-5), affine
    ny_, nx_ = noisy.shape[2], noisy.shape[3]
    read_step, phase_step = 220 / nx_, 220 / ny_
    first_plane = np.array(centre) - nz // 2 * 5 / nz * np.array(normal)
    origin_lps = first_plane - nx_ // 2 * read_step * np.array(read) - ny_ // 2 * phase_step * np.array(phase)
    assert np.allclose(affine[:3, 3], origin_lps * ras, atol=1e-3), (affine, origin_lps * ras)

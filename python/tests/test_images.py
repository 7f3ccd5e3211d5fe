"""`recon … -o IMAGE.nii[.gz]`: the coil-combined magnitude image with the scanner's geometry,
read back with nibabel and checked against numpy, twixtools and rotations computed here."""
import os
import subprocess
import sys

import numpy as np
import pytest
import nibabel as nib

from conftest import ROOT, cli, data_file

RAS = np.array([-1.0, -1.0, 1.0])  # LPS (Siemens, ISMRMRD) to NIfTI's RAS


def rss_image(k, oversampling):
    """numpy's RSS of centred orthonormal inverse FFTs, the central 1/oversampling of the readout."""
    img = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), axes=(-2, -1), norm="ortho"), axes=(-2, -1))
    rss = np.sqrt((np.abs(img.astype(np.complex128)) ** 2).sum(axis=-3))
    nx = k.shape[-1]
    width = nx // oversampling
    return rss[..., nx // 2 - width // 2: nx // 2 - width // 2 + width]


def rotation(w, x, y, z):
    """The rotation of a unit quaternion by Rodrigues' formula, R = I + 2w[v]x + 2[v]x^2."""
    v = np.array([x, y, z])
    cross = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + 2 * w * cross + 2 * cross @ cross


def make_twix(tmp_path, name, *args):
    out = tmp_path / name
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "reference", "make_twix.py"),
                    data_file("twix/ve11_gre_2ch_oversampled.dat", tmp_path), out, "--accel", "2", "--acs", "24",
                    "--protocol-lines", *map(str, args)], check=True, capture_output=True)
    return out


def protocol(path):
    """The first slice's protocol entries, as twixtools parses them (in a process of its own)."""
    code = f"""
import json, twixtools
s = twixtools.read_twix({str(path)!r}, verbose=False, parse_data=False)[-1]['hdr']['MeasYaps']['sSliceArray']['asSlice'][0]
print(json.dumps({{k: s.get(k, {{}}) for k in ('dReadoutFOV', 'dPhaseFOV', 'dThickness', 'sNormal', 'sPosition')}}))
"""
    import json
    printed = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(printed.strip().splitlines()[-1])  # after any warning twixtools prints


def test_twix_image_has_the_protocols_voxels_slice_direction_and_centre(tmp_path):
    # The shared oblique GRE (normal 0.038 cor, 0.999 tra) with 2x readout oversampling.
    path = make_twix(tmp_path, "acc.dat")
    for out in ("img.nii.gz", "k.npy"):
        r = cli("recon", path, "-o", tmp_path / out, "--method", "grappa")
        assert r.returncode == 0, r.stderr
    image = nib.load(tmp_path / "img.nii.gz")
    k = np.load(tmp_path / "k.npy")
    prot = protocol(path)
    ny, nx = k.shape[-2], k.shape[-1] // 2
    assert image.shape == (nx, ny, 1)
    assert np.allclose(image.header.get_zooms(), [prot["dReadoutFOV"] / nx, prot["dPhaseFOV"] / ny, prot["dThickness"]], rtol=1e-5)
    normal = np.array([prot["sNormal"].get(d, 0.0) for d in ("dSag", "dCor", "dTra")])
    direction = image.affine[:3, 2] / np.linalg.norm(image.affine[:3, 2])
    assert np.allclose(direction, normal * RAS, atol=1e-4), (direction, normal)
    centre = np.array([prot["sPosition"].get(d, 0.0) for d in ("dSag", "dCor", "dTra")]) * RAS
    at_centre = image.affine @ [nx // 2, ny // 2, 0, 1]
    assert np.linalg.norm(at_centre[:3] - centre) < 0.5 * min(image.header.get_zooms()), (at_centre, centre)
    assert np.allclose(image.get_qform(), image.affine, atol=1e-4)
    expected = rss_image(k, 2)
    assert np.allclose(image.get_fdata()[:, :, 0].T, expected, rtol=1e-5, atol=1e-6 * expected.max())


ORIENTATIONS = {
    # (w, x, y, z): a slice rotation; the axis nibabel must name third.
    "transverse": ((0.5 ** 0.5, 0, 0, 0.5 ** 0.5), "S"),
    "sagittal": ((0.5, 0.5, 0.5, 0.5), "L"),
    "coronal": ((0.5 ** 0.5, -(0.5 ** 0.5), 0, 0), "A"),
    "double oblique, rotated in plane": ((0.8, 0.2, 0.3, 0.23 ** 0.5), None),
}


@pytest.mark.parametrize("name", list(ORIENTATIONS))
def test_stacked_slices_follow_the_rotation_and_positions(tmp_path, name):
    q, axis = ORIENTATIONS[name]
    # Three slices 5 mm apart, their counters out of position order.
    path = make_twix(tmp_path, "multi.dat", "--slices", 3, "--quaternion", *q, "--position", 10, -20, 30,
                     "--slice-step", 5, "--slice-order", "2,0,1")
    for out in ("img.nii", "k.npy"):
        r = cli("recon", path, "-o", tmp_path / out)
        assert r.returncode == 0, r.stderr
    image, k = nib.load(tmp_path / "img.nii"), np.load(tmp_path / "k.npy")
    prot = protocol(path)
    ny, nx = k.shape[-2], k.shape[-1] // 2
    dx, dy = prot["dReadoutFOV"] / nx, prot["dPhaseFOV"] / ny
    R = rotation(*q)  # columns: phase, readout, slice (Siemens)
    phase, read, normal = R[:, 0], R[:, 1], R[:, 2]
    first = np.array([10.0, -20.0, 30.0])  # position 0 holds slice counter 1
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2] = read * dx * RAS, phase * dy * RAS, normal * 5 * RAS
    affine[:3, 3] = (first - nx // 2 * dx * read - ny // 2 * dy * phase) * RAS
    assert np.allclose(image.affine, affine, atol=1e-3), (image.affine, affine)
    if axis:
        assert nib.aff2axcodes(image.affine)[2] in (axis, {"S": "I", "L": "R", "A": "P"}[axis])
    data = image.get_fdata()
    expected = rss_image(k, 2)
    for z, counter in enumerate([1, 2, 0]):
        assert np.allclose(data[:, :, z].T, expected[counter], rtol=1e-5, atol=1e-6 * expected.max()), z


def test_ismrmrd_image_uses_the_acquisition_directions(tmp_path):
    path = tmp_path / "phantom.h5"
    subprocess.run(["ismrmrd_generate_cartesian_shepp_logan", "-m", "64", "-c", "4", "-a", "2", "-w", "16", "-C", "-o", str(path)],
                   check=True, capture_output=True)
    R = rotation(0.8, 0.2, 0.3, 0.23 ** 0.5)
    read, phase, normal = R[:, 0], R[:, 1], R[:, 2]  # any orthonormal triple will do
    # h5py in a process of its own: its libhdf5 and the tool's must not meet.
    code = f"""
import h5py, numpy as np, re
with h5py.File({str(path)!r}, "r+") as f:
    d = f["dataset/data"]
    for i in range(len(d)):
        rec = d[i]
        rec["head"]["position"] = [5, 6, 7]
        rec["head"]["read_dir"], rec["head"]["phase_dir"], rec["head"]["slice_dir"] = {read.tolist()}, {phase.tolist()}, {normal.tolist()}
        d[i] = rec
    x = f["dataset/xml"][0].decode()
    print(re.search(r"<encodedSpace>.*?<x>(\\d+)</x>.*?<fieldOfView_mm>\\s*<x>([\\d.]+)</x>", x, re.S).groups(),
          re.search(r"<reconSpace>.*?<fieldOfView_mm>\\s*<x>([\\d.]+)</x>\\s*<y>([\\d.]+)</y>\\s*<z>([\\d.]+)</z>", x, re.S).groups())
"""
    header = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    (encoded_x, encoded_fov), (fov_x, fov_y, fov_z) = eval(header.replace(") (", "), ("))
    oversampling = round(float(encoded_fov) / float(fov_x))
    for out in ("img.nii.gz", "k.npy"):
        r = cli("recon", path, "-o", tmp_path / out, "--slice", 0)
        assert r.returncode == 0, r.stderr
    image, k = nib.load(tmp_path / "img.nii.gz"), np.load(tmp_path / "k.npy")
    ny, nx = k.shape[-2], k.shape[-1] // oversampling
    dx, dy = float(fov_x) / nx, float(fov_y) / ny
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2] = read * dx * RAS, phase * dy * RAS, normal * float(fov_z) * RAS
    affine[:3, 3] = (np.array([5, 6, 7]) - nx // 2 * dx * read - ny // 2 * dy * phase) * RAS
    assert np.allclose(image.affine, affine, atol=1e-3), (image.affine, affine)
    expected = rss_image(k, oversampling)
    assert np.allclose(image.get_fdata()[:, :, 0].T, expected, rtol=1e-5, atol=1e-6 * expected.max())


def test_files_without_geometry_get_unit_voxels_and_a_warning(tmp_path, phantom):
    np.save(tmp_path / "k.npy", phantom)
    r = cli("recon", tmp_path / "k.npy", "-o", tmp_path / "img.nii", "--accel", 2, "--acs", 16)
    assert r.returncode == 0 and "records no geometry: written with 1 mm voxels in an identity orientation" in r.stderr, r.stderr
    image = nib.load(tmp_path / "img.nii")
    assert np.array_equal(image.affine, np.eye(4)) and image.shape == (phantom.shape[2], phantom.shape[1], 1)


def walsh(images, window=7):
    """Walsh's adaptive combination by numpy's eigh of every pixel's window covariance."""
    coils, ny, nx = images.shape
    h = window // 2
    out = np.zeros((ny, nx))
    for y in range(ny):
        for x in range(nx):
            block = images[:, max(0, y - h):y + h + 1, max(0, x - h):x + h + 1].reshape(coils, -1)
            _, vectors = np.linalg.eigh(block @ block.conj().T)
            out[y, x] = abs(vectors[:, -1].conj() @ images[:, y, x])
    return out


def test_adaptive_combination_is_walshs(tmp_path, phantom):
    np.save(tmp_path / "k.npy", phantom)
    for out, extra in (("img.nii", ["--combine", "adaptive"]), ("out.npy", [])):
        r = cli("recon", tmp_path / "k.npy", "-o", tmp_path / out, "--accel", 2, "--acs", 16, *extra)
        assert r.returncode == 0, r.stderr
    k = np.load(tmp_path / "out.npy").astype(np.complex128)
    images = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))
    expected = walsh(images)
    image = nib.load(tmp_path / "img.nii").get_fdata()[:, :, 0].T
    # Where the object is, the dominant eigenvector is well separated; in the noise around it
    # the eigenvalues are nearly equal and the vector (so the pixel) is barely determined.
    rss = np.sqrt((abs(images) ** 2).sum(0))
    inside = rss > 0.2 * rss.max()
    assert np.linalg.norm((image - expected)[inside]) / np.linalg.norm(expected[inside]) < 1e-4
    assert np.linalg.norm(image - expected) / np.linalg.norm(expected) < 1e-2
    # Not RSS: the matched filter differs from it (by more than the tolerance above).
    assert np.linalg.norm((rss - expected)[inside]) / np.linalg.norm(expected[inside]) > 1e-3


def test_sense1_combination_uses_espirit_maps_as_bart_computes_them(tmp_path, brain32):
    full, _, _ = brain32
    k = full[:8, 72:216, 72:216].copy()  # 8 coils, the central 144 x 144 of k-space: BART's maps in seconds
    np.save(tmp_path / "k.npy", k)
    r = cli("recon", tmp_path / "k.npy", "-o", tmp_path / "img.nii", "--accel", 2, "--acs", 32, "--combine", "sense")
    assert r.returncode == 0, r.stderr
    r = cli("recon", tmp_path / "k.npy", "-o", tmp_path / "out.npy", "--accel", 2, "--acs", 32)
    assert r.returncode == 0, r.stderr
    out = np.load(tmp_path / "out.npy")
    # BART's layout: [kx, ky, 1, coils] (column-major .cfl).
    bart_k = tmp_path / "bk"
    with open(str(bart_k) + ".hdr", "w") as f:
        f.write("# Dimensions\n%d %d 1 %d\n" % (out.shape[2], out.shape[1], out.shape[0]))
    np.transpose(out, (2, 1, 0)).astype(np.complex64).ravel(order="F").tofile(str(bart_k) + ".cfl")
    subprocess.run(["bart", "ecalib", "-m1", "-c0", "-r", "32", bart_k, tmp_path / "maps"], check=True, capture_output=True)
    maps = np.fromfile(tmp_path / "maps.cfl", dtype=np.complex64).reshape((out.shape[2], out.shape[1], 1, out.shape[0]), order="F")
    maps = np.transpose(maps[:, :, 0, :], (2, 1, 0))
    images = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(out.astype(np.complex128), axes=(-2, -1)), norm="ortho"), axes=(-2, -1))
    expected = abs((maps.conj() * images).sum(0))
    image = nib.load(tmp_path / "img.nii").get_fdata()[:, :, 0].T
    assert np.linalg.norm(image - expected) / np.linalg.norm(expected) < 1e-3
    rss = np.sqrt((abs(images) ** 2).sum(0))
    assert np.linalg.norm(rss - expected) / np.linalg.norm(expected) > 1e-2  # not RSS


def test_python_combine_and_write_give_the_command_lines_image(tmp_path):
    import metagrappa
    path = make_twix(tmp_path, "multi.dat", "--slices", 2, "--quaternion", 0.8, 0.2, 0.3, 0.23 ** 0.5, "--slice-step", 4)
    for out, extra in (("cli.nii.gz", ["--combine", "adaptive"]), ("k.npy", [])):
        r = cli("recon", path, "-o", tmp_path / out, *extra)
        assert r.returncode == 0, r.stderr
    _, info = metagrappa.read(path)
    assert info["geometry"]["readout_oversampling"] == 2 and len(info["geometry"]["slices"]) == 2
    k = np.load(tmp_path / "k.npy")
    images = np.stack([np.abs(metagrappa.combine(k[s], "adaptive")) for s in range(2)])
    metagrappa.write(tmp_path / "py.nii.gz", images, geometry=info)
    ours, theirs = nib.load(tmp_path / "py.nii.gz"), nib.load(tmp_path / "cli.nii.gz")
    assert np.array_equal(ours.affine, theirs.affine)
    # The tests' command line is a debug build: rounding may differ from the package's.
    assert np.allclose(ours.get_fdata(), theirs.get_fdata(), rtol=1e-5, atol=0)
    assert np.array_equal(metagrappa.combine(k[0]), metagrappa.rss(k[0]))
    with pytest.warns(UserWarning, match="no geometry given"):
        metagrappa.write(tmp_path / "plain.nii", images[0])
    assert np.array_equal(nib.load(tmp_path / "plain.nii").affine, np.eye(4))


@pytest.mark.parametrize("bad, words", [
    (lambda m, t: m.write(t / "x.nii", np.ones((4, 4), np.complex64)), "an image must be a real array"),
    (lambda m, t: m.write(t / "x.nii", np.ones((4, 4), np.float32), geometry=[1, 2]), "geometry must be read()'s info"),
    (lambda m, t: m.write(t / "x.nii", np.ones((4, 4), np.float32), geometry={"readout_fov": 1}), "not a geometry"),
    (lambda m, t: m.combine(np.ones((2, 4, 4), np.complex64), "walsh"), "method must be 'rss', 'adaptive' or 'sense', found 'walsh'"),
])
def test_bad_images_and_geometries_raise_value_error(tmp_path, bad, words):
    import metagrappa
    with pytest.raises(ValueError) as e:
        bad(metagrappa, tmp_path)
    assert words in str(e.value), str(e.value)
    assert not os.path.exists(tmp_path / "x.nii")


def test_png_of_several_slices_is_a_montage(tmp_path):
    from PIL import Image
    path = make_twix(tmp_path, "multi.dat", "--slices", 3)
    r = cli("recon", path, "-o", tmp_path / "k.npy", "--png", tmp_path / "m.png")
    assert r.returncode == 0, r.stderr
    k = np.load(tmp_path / "k.npy")
    png = np.asarray(Image.open(tmp_path / "m.png")).astype(float)
    ny, nx = k.shape[-2:]
    assert png.shape == (2 * ny, 2 * nx)  # 3 slices: 2 x 2 tiles, row by row, the 4th empty
    images = rss_image(k, 1)
    for s, (row, col) in enumerate([(0, 0), (0, 1), (1, 0)]):
        tile = png[row * ny:(row + 1) * ny, col * nx:(col + 1) * nx]
        assert np.abs(tile - 255 * images[s] / images.max()).max() <= 1.0, s
    assert not png[ny:, nx:].any()


def test_complex_image_keeps_the_phase_of_the_combination(tmp_path):
    import metagrappa
    path = make_twix(tmp_path, "one.dat")
    for out, extra in (("c.nii", ["--combine", "sense", "--complex"]), ("k.npy", [])):
        r = cli("recon", path, "-o", tmp_path / out, *extra)
        assert r.returncode == 0, r.stderr
    image = nib.load(tmp_path / "c.nii")
    assert image.get_data_dtype() == np.complex64
    data = np.asanyarray(image.dataobj)[:, :, 0].T
    k = np.load(tmp_path / "k.npy")
    expected = metagrappa.combine(k, "sense")
    nx = k.shape[-1]
    expected = expected[:, nx // 4: nx // 4 + nx // 2]  # 2x readout oversampling cropped
    assert np.linalg.norm(data - expected) / np.linalg.norm(expected) < 1e-4
    assert np.abs(np.angle(expected[abs(expected) > 0.2 * abs(expected).max()])).max() > 0.1  # a phase, not a magnitude
    for extra in (["--complex"], ["--combine", "adaptive", "--complex"]):
        target = tmp_path / ("x.nii" if len(extra) == 1 else "x.npy")
        r = cli("recon", path, "-o", target, *extra)
        assert r.returncode == 64 and "a complex image is written to a NIfTI output" in r.stderr, r.stderr
        assert not os.path.exists(target)

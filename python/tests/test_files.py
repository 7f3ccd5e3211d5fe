"""Every format the command line reads and writes, from Python."""
import numpy as np
import pytest

import metagrappa
from conftest import cli, data_file


@pytest.mark.parametrize("name", ["k.npy", "k.cfl", "k.h5"])
def test_round_trip(tmp_path, name):
    rng = np.random.default_rng(2)
    volume = (rng.normal(size=(3, 4, 16, 12)) + 1j * rng.normal(size=(3, 4, 16, 12))).astype(np.complex64)
    metagrappa.write(tmp_path / name, volume)
    k, info = metagrappa.read(tmp_path / name)
    assert np.array_equal(k, volume) and info["slices"] == 3 and info["mask"] is None
    one, _ = metagrappa.read(tmp_path / name, slice=1)
    assert np.array_equal(one, volume[1])
    metagrappa.write(tmp_path / ("one_" + name), volume[2])
    assert np.array_equal(metagrappa.read(tmp_path / ("one_" + name))[0], volume[2])


def test_siemens_raw_data_with_its_sampling(tmp_path):
    path = tmp_path / "acc.dat"
    import subprocess, sys, os
    from conftest import ROOT
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "reference", "make_twix.py"),
                    data_file("twix/xa61_brain_16ch_gre_128.dat", tmp_path), path, "--accel", "4", "--acs", "24", "--protocol-lines"],
                   check=True, capture_output=True)
    k, info = metagrappa.read(path)
    assert info["format"] == "twix" and k.shape == (16, 128, 128)
    assert np.array_equal(info["mask"], metagrappa.uniform_mask(128, accel=4, acs=24))
    assert info["properties"]["coil"] == "HeadNeck_20_TCS"
    out = metagrappa.grappa(k, info["mask"])
    r = cli("recon", path, "-o", tmp_path / "cli.npy")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(out, np.load(tmp_path / "cli.npy"))


def test_read_gives_the_noise_samples_and_their_variance(tmp_path):
    """ISMRMRD's generator writes a noise acquisition; its samples as h5py reads them, and
    their mean power (the noise and imaging dwell times agree) are what read() reports, and
    grappa() takes that variance as the command line takes the file's."""
    import subprocess, sys
    path = tmp_path / "phantom.h5"
    subprocess.run(["ismrmrd_generate_cartesian_shepp_logan", "-m", "64", "-c", "4", "-n", "0.05", "-a", "2", "-w", "16",
                    "-C", "-o", str(path)], check=True, capture_output=True)
    # h5py in a process of its own: its libhdf5 and the package's must not meet.
    subprocess.run([sys.executable, "-c", f"""
import h5py, numpy as np
records = [r for r in h5py.File({str(path)!r}, "r")["dataset/data"] if r["head"]["flags"] & (1 << 18)]
noise = np.stack([r["data"].view(np.complex64).reshape(r["head"]["active_channels"], -1) for r in records], axis=1)
np.save({str(tmp_path / "noise.npy")!r}, noise)
"""], check=True, capture_output=True)
    noise = np.load(tmp_path / "noise.npy")
    k, info = metagrappa.read(path, slice=0)
    assert info["has_noise"] and np.array_equal(info["noise"], noise)
    expected = np.mean(np.abs(noise.astype(np.complex128)) ** 2)
    assert abs(info["noise_variance"] / expected - 1) < 1e-6, (info["noise_variance"], expected)
    out, used = metagrappa.grappa(k, info["mask"], noise_variance=info["noise_variance"], return_info=True)
    r = cli("recon", path, "-o", tmp_path / "cli.npy", "--slice", 0, "--no-prewhiten", "--timing")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(out, np.load(tmp_path / "cli.npy")), r.stderr
    # Not vacuous: a variance 3× or 0.3× as large gives another λ on this scan.
    for factor in (0.3, 3):
        other = metagrappa.grappa(k, info["mask"], noise_variance=factor * info["noise_variance"], return_info=True)[1]
        assert other["lambda"] != used["lambda"], factor
    # Files without noise data say so.
    metagrappa.write(tmp_path / "plain.npy", k)
    _, plain = metagrappa.read(tmp_path / "plain.npy")
    assert plain["noise"] is None and plain["noise_variance"] is None and not plain["has_noise"]

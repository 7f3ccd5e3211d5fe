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

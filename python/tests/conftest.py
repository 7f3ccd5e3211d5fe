import gzip
import os
import shutil
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("METAGRAPPA_CLI", os.path.join(ROOT, ".build", "debug", "metagrappa"))


def data_file(name, directory):
    """A file of the repository's Data/ folder, decompressed into `directory` if stored as .gz."""
    path = os.path.join(ROOT, "Data", name)
    if os.path.exists(path):
        return path
    target = os.path.join(str(directory), os.path.basename(name))
    with gzip.open(path + ".gz", "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


def cli(*args):
    """Runs the command-line tool; returns the completed process."""
    assert os.path.exists(CLI), f"the command-line tool {CLI} is not built (swift build, or set METAGRAPPA_CLI)"
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="session")
def brain32(tmp_path_factory):
    """A simulated 32-coil 288 x 288 brain slice (the command line's simulate --brain 95: the
    shipped Colin27 volume through the paper's array), undersampled R = 4 with 32 ACS lines."""
    import metagrappa
    path = tmp_path_factory.mktemp("brain") / "brain.npy"
    r = cli("simulate", "-o", path, "--brain", 95)
    assert r.returncode == 0, r.stderr
    k = np.load(path)
    mask = metagrappa.uniform_mask(288, accel=4, acs=32)
    return k, (k * mask[None, :, None]).astype(np.complex64), mask


@pytest.fixture
def phantom(tmp_path):
    """A small simulated 8-coil scan (the command line's simulate), fully sampled."""
    path = tmp_path / "phantom.npy"
    r = cli("simulate", "-o", path, "--ny", 64, "--nx", 48, "--coils", 8, "--seed", 3)
    assert r.returncode == 0, r.stderr
    return np.load(path)


def write_ismrmrd(path, kspace, mask, calibration=None, placement=None):
    """An ISMRMRD file of `kspace`'s acquired lines (Tests/reference/ismrmrd_writer.write), written
    by h5py in a process of its own: its libhdf5 and the tool's must not meet in one process."""
    import subprocess
    import sys
    directory = os.path.dirname(str(path))
    np.save(os.path.join(directory, "_k.npy"), kspace)
    np.save(os.path.join(directory, "_m.npy"), mask)
    np.save(os.path.join(directory, "_c.npy"), np.zeros_like(mask) if calibration is None else calibration)
    code = (f"import sys, numpy as np; sys.path.insert(0, {os.path.join(ROOT, 'Tests', 'reference')!r}); import ismrmrd_writer; "
            f"d = {directory!r}; ismrmrd_writer.write({str(path)!r}, np.load(d + '/_k.npy'), np.load(d + '/_m.npy'), "
            f"np.load(d + '/_c.npy'), placement={placement!r})")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)

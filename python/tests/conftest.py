import os
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
CLI = os.environ.get("METAGRAPPA_CLI", os.path.join(ROOT, ".build", "debug", "metagrappa"))


def shared(name):
    return os.path.join(SHARED, name)


def cli(*args):
    """Runs the command-line tool; returns the completed process."""
    assert os.path.exists(CLI), f"the command-line tool {CLI} is not built (swift build, or set METAGRAPPA_CLI)"
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="session")
def brain32():
    """The shared simulated 32-coil 288 x 288 slice, undersampled R = 4 with 32 ACS lines."""
    import metagrappa
    k = np.load(shared("sim_brain_32ch_288x288_ch2.npy")).astype(np.complex64)
    mask = metagrappa.uniform_mask(288, accel=4, acs=32)
    return k, (k * mask[None, :, None]).astype(np.complex64), mask


@pytest.fixture
def phantom(tmp_path):
    """A small simulated 8-coil scan (the command line's simulate), fully sampled."""
    path = tmp_path / "phantom.npy"
    r = cli("simulate", "-o", path, "--ny", 64, "--nx", 48, "--coils", 8, "--seed", 3)
    assert r.returncode == 0, r.stderr
    return np.load(path)

"""A folder of scans and the slices of a volume reconstructed on a Dask LocalCluster with
worker processes: the same numbers as in this process, outputs written whole."""
import os

import dask.distributed as distributed  # installed by scripts/install-deps
import numpy as np

import metagrappa
from metagrappa.distributed import reconstruct_folder, reconstruct_volume


def test_folder_and_volume_on_a_local_cluster(tmp_path, phantom):
    scans = [(phantom * np.exp(1j * 0.2 * i) * (1 + 0.1 * i)).astype(np.complex64) for i in range(4)]
    (tmp_path / "in").mkdir()
    for i, s in enumerate(scans):
        metagrappa.write(tmp_path / "in" / f"scan{i}.npy", s)
    metagrappa.write(tmp_path / "volume.h5", np.stack(scans))
    mask = metagrappa.uniform_mask(64, accel=2, acs=16)
    expected = [metagrappa.grappa(s * mask[None, :, None], mask) for s in scans]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = set(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids
        written = reconstruct_folder(client, tmp_path / "in", tmp_path / "out", accel=2, acs=16)
        reconstruct_volume(client, tmp_path / "volume.h5", tmp_path / "volume_out.npy", accel=2, acs=16)
    assert [os.path.basename(w) for w in written] == [f"scan{i}.npy" for i in range(4)]
    for i in range(4):
        assert np.array_equal(np.load(tmp_path / "out" / f"scan{i}.npy"), expected[i])
    assert np.array_equal(np.load(tmp_path / "volume_out.npy"), np.stack(expected))
    # nothing but the outputs: no temporaries left behind
    assert sorted(os.listdir(tmp_path / "out")) == [f"scan{i}.npy" for i in range(4)]

"""Reconstructing many scans, or the slices of a volume, on a Dask cluster.

Dask (`pip install "./python[dask]"`, or `pip install "dask[distributed]"` beside the package) schedules; each task is one scan or one slice,
reconstructed by the library in the worker process (without the GIL). Outputs are written
atomically: a file appears complete or not at all, so a crashed or cancelled run leaves no
partial output.

    from dask.distributed import Client, LocalCluster
    from metagrappa.distributed import reconstruct_folder, reconstruct_volume

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        reconstruct_folder(client, "acquired/", "recon/", mask="mask.npy", method="grappa")
        reconstruct_volume(client, "volume.h5", "volume_recon.npy", accel=4, acs=32)

The same code runs on a cluster: make the client from dask-jobqueue (e.g.
`SLURMCluster(cores=2, memory="8GB")` then `cluster.scale(jobs=10)`) or from dask-kubernetes,
with the package installed on every worker and the files on storage all workers see.
"""
import os

import numpy as np

import metagrappa

_METHODS = {"grappa": metagrappa.grappa, "raki": metagrappa.raki, "meta": metagrappa.meta, "cs": metagrappa.cs}


def _sampling(k, mask, accel, acs, recorded):
    """The acquired k-space and its mask: `mask` (array or .npy file) for acquired data, a
    uniform pattern imposed on fully sampled data, or the file's own recorded sampling."""
    if mask is not None:
        m = np.load(mask) if isinstance(mask, (str, os.PathLike)) else np.asarray(mask)
        return k, m
    if accel is not None:
        m = metagrappa.uniform_mask(k.shape[1], accel, acs)
        return k * m[None, :, None], m
    if recorded is not None:
        return k, recorded
    raise ValueError("give a mask, or accel (and acs) for fully sampled data; the file records no sampling")


def reconstruct_file(source, target, method="grappa", mask=None, accel=None, acs=32, **options):
    """Reconstructs the one-slice k-space file `source` into `target` (atomically).

    method: 'grappa', 'raki', 'meta' or 'cs'. The sampling: `mask` (a bool/integer [ky] array
    or a .npy file of one) for acquired data; else `accel` and `acs` impose the command line's
    uniform pattern on fully sampled data; else the file's own recorded sampling (ISMRMRD,
    Siemens). options: the method's keywords (lamda=, seed=, virtual_coils=, ...)."""
    k, info = metagrappa.read(source)
    if k.ndim != 3:
        raise ValueError(f"{source}: holds {k.shape[0]} slices; use reconstruct_volume")
    k, m = _sampling(k, mask, accel, acs, info["mask"])
    metagrappa.write(target, _METHODS[method](k, m, **options))
    return target


def reconstruct_folder(client, source_dir, target_dir, suffix=".npy", method="grappa", **kwargs):
    """Reconstructs every k-space file of `source_dir` (.npy, .cfl, .h5, .dat) into
    `target_dir` (same names, `suffix` as their extension: the output format), one task per
    file on `client`; returns the written paths. kwargs: mask, accel, acs and the method's
    keywords, as for reconstruct_file."""
    os.makedirs(target_dir, exist_ok=True)
    names = sorted(n for n in os.listdir(source_dir) if os.path.splitext(n)[1] in (".npy", ".cfl", ".h5", ".dat"))
    futures = [client.submit(reconstruct_file, os.path.join(source_dir, n),
                             os.path.join(target_dir, os.path.splitext(n)[0] + suffix), method, pure=False, **kwargs)
               for n in names]
    return client.gather(futures)


def _reconstruct_slice(source, index, method, mask, accel, acs, options):
    k, info = metagrappa.read(source, slice=index)
    k, m = _sampling(k, mask, accel, acs, info["mask"])
    return _METHODS[method](k, m, **options)


def reconstruct_volume(client, source, target, method="grappa", mask=None, accel=None, acs=32, **options):
    """Reconstructs every slice of the volume `source` as its own task (each worker reads only
    its slice) and writes `target` once all are done (atomically); method, mask, accel, acs
    and options as for reconstruct_file."""
    _, info = metagrappa.read(source, slice=0)
    futures = [client.submit(_reconstruct_slice, source, s, method, mask, accel, acs, options, pure=False)
               for s in range(info["slices"])]
    slices = client.gather(futures)
    metagrappa.write(target, np.stack(slices))
    return target

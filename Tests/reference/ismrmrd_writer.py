#!/usr/bin/env python3
"""Writes ISMRMRD files with h5py alone (no ismrmrd package): the acquisition record type, a
minimal Cartesian header, and a writer of acquired lines (2-D or 3-D, with calibration flags
and noise acquisitions). Used by the tests (3-D files) and by the lab's noise-data study.
Run in a process without another libhdf5 (the tests run it as a subprocess)."""
import h5py
import numpy as np

NOISE_FLAG = 1 << 18  # ACQ_IS_NOISE_MEASUREMENT (bit 19)
CALIBRATION_FLAG, CALIBRATION_AND_IMAGING_FLAG = 1 << 19, 1 << 20  # bits 20, 21

HEAD = np.dtype([("version", "<u2"), ("flags", "<u8"), ("measurement_uid", "<u4"), ("scan_counter", "<u4"),
                 ("acquisition_time_stamp", "<u4"), ("physiology_time_stamp", "<u4", (3,)),
                 ("number_of_samples", "<u2"), ("available_channels", "<u2"), ("active_channels", "<u2"),
                 ("channel_mask", "<u8", (16,)), ("discard_pre", "<u2"), ("discard_post", "<u2"),
                 ("center_sample", "<u2"), ("encoding_space_ref", "<u2"), ("trajectory_dimensions", "<u2"),
                 ("sample_time_us", "<f4"), ("position", "<f4", (3,)), ("read_dir", "<f4", (3,)),
                 ("phase_dir", "<f4", (3,)), ("slice_dir", "<f4", (3,)), ("patient_table_position", "<f4", (3,)),
                 ("idx", [("kspace_encode_step_1", "<u2"), ("kspace_encode_step_2", "<u2"), ("average", "<u2"),
                          ("slice", "<u2"), ("contrast", "<u2"), ("phase", "<u2"), ("repetition", "<u2"),
                          ("set", "<u2"), ("segment", "<u2"), ("user", "<u2", (8,))]),
                 ("user_int", "<i4", (8,)), ("user_float", "<f4", (8,))])
RECORD = np.dtype([("head", HEAD), ("traj", h5py.vlen_dtype(np.float32)), ("data", h5py.vlen_dtype(np.float32))])
XML = """<?xml version="1.0"?>
<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><version>1</version>
<acquisitionSystemInformation><receiverChannels>{c}</receiverChannels></acquisitionSystemInformation>
<experimentalConditions><H1resonanceFrequency_Hz>123000000</H1resonanceFrequency_Hz></experimentalConditions>
<encoding><encodedSpace><matrixSize><x>{nx}</x><y>{ny}</y><z>{nz}</z></matrixSize>
<fieldOfView_mm><x>220</x><y>220</y><z>5</z></fieldOfView_mm></encodedSpace>
<reconSpace><matrixSize><x>{nx}</x><y>{ny}</y><z>1</z></matrixSize>
<fieldOfView_mm><x>220</x><y>220</y><z>5</z></fieldOfView_mm></reconSpace>
<encodingLimits><kspace_encoding_step_1><minimum>0</minimum><maximum>{ymax}</maximum><center>{yc}</center></kspace_encoding_step_1></encodingLimits>
<trajectory>cartesian</trajectory></encoding></ismrmrdHeader>"""


def write(path, kspace, mask, calibration=None, noise=(), noise_dwell=5.0, imaging_dwell=2.5, placement=None):
    """`kspace` [coils, ky, kx] or [partitions, coils, ky, kx] with its acquired lines `mask`
    ([ky] or [partitions, ky]); lines in `calibration` (same shape) are flagged as
    calibration (and imaging, if also in `mask`'s lattice: here every acquired calibration
    line is flagged calibration-and-imaging); `noise`: readouts [coils, samples] written first
    as noise acquisitions; `placement`: (position, read_dir, phase_dir, slice_dir) of every
    imaging acquisition (LPS, mm; zeros if not given)."""
    k = np.asarray(kspace)
    k = k[None] if k.ndim == 3 else k
    mask = np.asarray(mask, bool).reshape(k.shape[0], k.shape[2])
    calibration = np.zeros_like(mask) if calibration is None else np.asarray(calibration, bool).reshape(mask.shape)
    nz, c, ny, nx = k.shape
    rows = [(0, 0, n, NOISE_FLAG, noise_dwell) for n in noise]
    rows += [(z, y, k[z, :, y, :], CALIBRATION_AND_IMAGING_FLAG if calibration[z, y] else 0, imaging_dwell)
             for z in range(nz) for y in np.flatnonzero(mask[z])]
    records = np.zeros(len(rows), RECORD)
    for i, (z, y, data, flags, dwell) in enumerate(rows):
        h = records[i]["head"]
        h["version"], h["flags"], h["scan_counter"] = 1, flags, i
        h["number_of_samples"], h["available_channels"], h["active_channels"] = data.shape[1], c, c
        h["center_sample"], h["sample_time_us"] = data.shape[1] // 2, dwell
        h["idx"]["kspace_encode_step_1"], h["idx"]["kspace_encode_step_2"] = y, z
        if placement is not None and not flags & NOISE_FLAG:
            h["position"], h["read_dir"], h["phase_dir"], h["slice_dir"] = placement
        records[i]["traj"] = np.zeros(0, np.float32)
        records[i]["data"] = np.ascontiguousarray(data, np.complex64).view(np.float32).ravel()
    with h5py.File(path, "w") as f:
        f.create_dataset("dataset/data", data=records)
        f.create_dataset("dataset/xml", data=[XML.format(c=c, nx=nx, ny=ny, nz=nz, ymax=ny - 1, yc=ny // 2).encode()],
                         dtype=h5py.string_dtype())

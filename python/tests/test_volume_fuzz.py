"""Damaged 3-D raw data fed to `recon` (the paths that infer a (kz, ky) sampling and reconstruct
across ky and kz): Siemens files accelerated 2 x 2 with scan headers overwritten or cut short,
ISMRMRD files whose acquisitions' counters, sizes and flags disagree. Every run must either
succeed or exit with one error line and a documented code (64, 65, 66, 70), leaving no output
file - never crash or hang. The damage is random but fixed by the seed."""
import os
import struct
import subprocess
import sys

import numpy as np

from conftest import ROOT, cli, data_file, write_ismrmrd

sys.path.insert(0, os.path.join(ROOT, "Tests", "reference"))
import grappa3d_numpy as reference  # noqa: E402

DOCUMENTED_EXITS = {64, 65, 66, 70}
# Scan header (VD/VE/XA layout): 192 bytes; the line counter at byte 52, the partition at 58.
SCAN_HEADER, LINE, PARTITION = 192, 52, 58


def check_run(path, output, what, implausible=False):
    """Runs `recon`; returns True if it refused the file (cleanly), False if it reconstructed.
    `implausible`: one counter was set far beyond the matrix, which must be named as damage
    at once (not taken as a matrix of thousands of mostly empty lines or partitions)."""
    r = cli("recon", path, "-o", output)
    if implausible:
        assert r.returncode == 65 and "not a plausible acquisition" in r.stderr, f"{what}: {r.returncode} {r.stderr}"
    assert r.returncode >= 0, f"{what}: killed by signal {-r.returncode}: {r.stderr}"
    if r.returncode == 0:
        assert os.path.exists(output), f"{what}: exit 0 without an output"
        os.remove(output)
        return False
    assert r.returncode in DOCUMENTED_EXITS, f"{what}: exit {r.returncode}: {r.stderr}"
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("metagrappa: error: "), f"{what}: {r.stderr}"
    assert not os.path.exists(output), f"{what}: output left after an error"
    return True


def test_damaged_siemens_3d_files_are_refused_cleanly_or_read(tmp_path):
    import twixtools
    source = data_file("twix/xa61_brain_16ch_gre_128.dat", tmp_path)
    seed = tmp_path / "seed.dat"
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "reference", "make_twix.py"), source, seed, "--accel", "2",
                    "--acs", "24", "--protocol-lines", "--partitions", "16", "--partition-accel", "2", "--partition-acs", "8",
                    "--caipi-shift", "1"], check=True, capture_output=True)
    original = seed.read_bytes()
    scans = twixtools.read_twix(str(seed), parse_pmu=False, verbose=False)[-1]["mdb"]
    imaging = [m.mem_pos for m in scans if m.is_image_scan()]
    assert struct.unpack_from("<H", original, imaging[5] + PARTITION)[0] == scans[[m.mem_pos for m in scans].index(imaging[5])].cPar
    rng = np.random.default_rng(2026)
    refused = 0
    trials = 20
    for trial in range(trials):
        data = bytearray(original)
        at = int(rng.choice(imaging))
        kind = trial % 5
        if kind == 0:    # a partition counter far beyond the slab (16 partitions)
            struct.pack_into("<H", data, at + PARTITION, int(rng.integers(8192, 65536)))
        elif kind == 1:  # a line counter far beyond the matrix (128 lines)
            struct.pack_into("<H", data, at + LINE, int(rng.integers(8192, 65536)))
        elif kind == 2:  # a plausible but wrong partition: one partition twice, another missing a line
            struct.pack_into("<H", data, at + PARTITION, int(rng.integers(0, 16)))
        elif kind == 3:  # random bytes in one scan header
            for _ in range(int(rng.integers(1, 9))):
                data[at + int(rng.integers(0, SCAN_HEADER))] = int(rng.integers(0, 256))
        else:            # cut short inside the measurement data
            data = data[:int(rng.integers(imaging[0], len(data)))]
        path = tmp_path / "damaged.dat"
        path.write_bytes(bytes(data))
        refused += check_run(path, tmp_path / "out.npy", f"trial {trial} (kind {kind}, header at {at})",
                             implausible=kind in (0, 1))
    print(f"damaged Siemens 3-D files: {refused} of {trials} refused cleanly, the rest read")
    # Truncations and counters beyond the matrix must be caught; a plausible counter may pass.
    assert refused >= trials // 2, f"only {refused} of {trials} damaged files were refused"


DAMAGE = """
import numpy as np, h5py
d = {directory!r}
with h5py.File(d + '/seed.h5', 'r') as f:
    records, xml = f['dataset/data'][()], f['dataset/xml'][()]
rng = np.random.default_rng(7)
for trial in range({trials}):
    r, x = records.copy(), xml.copy()
    i = int(rng.integers(0, len(r)))
    head = r['head']
    kind = trial % 9
    if kind == 0: head['idx']['kspace_encode_step_2'][i] = rng.integers(2048, 65536)
    elif kind == 1: head['idx']['kspace_encode_step_1'][i] = rng.integers(2048, 65536)
    elif kind == 2: r = np.delete(r, rng.choice(len(r), int(rng.integers(1, 6)), replace=False))
    elif kind == 3: r = np.insert(r, i, r[int(rng.integers(0, len(r)))])
    elif kind == 4: head['number_of_samples'][i] = rng.integers(0, 65536)
    elif kind == 5: head['active_channels'][i] = rng.integers(0, 65536)
    elif kind == 6: head['flags'][i] = np.uint64(1) << np.uint64(rng.integers(0, 64))
    elif kind == 7: head['center_sample'][i] = rng.integers(0, 65536)
    else:
        text = x[0].decode()
        z = text.index('<z>') + 3
        x = np.array([text[:z] + str(int(rng.integers(0, 64))) + text[text.index('</z>', z):]], dtype=object)
    with h5py.File(d + '/v%d.h5' % trial, 'w') as f:
        f.create_dataset('dataset/data', data=r)
        f.create_dataset('dataset/xml', data=[s.encode() if isinstance(s, str) else s for s in x], dtype=h5py.string_dtype())
"""


def test_damaged_ismrmrd_3d_files_are_refused_cleanly_or_read(tmp_path):
    noisy, _ = reference.simulate(noise=0.002)
    nz, _, ny, _ = noisy.shape
    mask, _ = reference.uniform_mask(nz, ny, 2, 2, 1, (12, 16))
    write_ismrmrd(tmp_path / "seed.h5", noisy, mask, reference.box_mask(mask))
    trials = 27
    code = DAMAGE.format(directory=str(tmp_path), trials=trials)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    # The undamaged seed reconstructs (the damage, not the writer, is what gets refused).
    assert not check_run(tmp_path / "seed.h5", tmp_path / "out.npy", "seed")
    refused = sum(check_run(tmp_path / f"v{t}.h5", tmp_path / "out.npy", f"trial {t} (kind {t % 9})", implausible=t % 9 in (0, 1))
                  for t in range(trials))
    print(f"damaged ISMRMRD 3-D files: {refused} of {trials} refused cleanly, the rest read")
    assert refused >= trials // 3, f"only {refused} of {trials} damaged files were refused"

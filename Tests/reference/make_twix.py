"""Writes Siemens raw data test files (VD/VE layout) from a fully sampled one, with
twixtools: reflected lines, repeated averages, an accelerated acquisition (image lines on the R-lattice, GRAPPA reference
lines flagged PATREFSCAN, lattice lines inside the reference block PATREFANDIMASCAN),
optional noise-adjust scans of a known coil covariance, optional extra slices.

    python3 make_twix.py IN.dat OUT.dat [--accel R --acs N] [--noise N --noise-out COV.npy]
                         [--slices S] [--reflect-odd] [--averages A] [--protocol-lines [--line-offset K]] [--seed 1]
                         [--quaternion W X Y Z] [--position SAG COR TRA] [--slice-step MM] [--slice-order 2,0,1]
                         [--echo-asymmetry K] [--repetitions N [--reference-once]] [--partitions P
                         [--partition-accel RZ --partition-acs NZ [--caipi-shift S]]]

--partition-accel: acceleration along kz too, the metagrappa.grappa3d contract's lattice: partition
p is sampled if (p - P/2) % RZ == 0, and in it line y if (y - ny/2 - S * floor((p - P/2) / RZ)) % R == 0;
plus the box of the centred N lines x NZ partitions (PATREFSCAN).

--quaternion/--position set every scan header's slice rotation and centre; slice s (its
counter) then lies at position + step·order[s]·normal, normal the rotation's third column.

Lines kept follow metagrappa's contract: (ky - ny/2) % R == 0 plus the centred block
[ny/2 - N/2, ny/2 - N/2 + N). The noise is complex Gaussian with covariance L Lᴴ for a
random lower-triangular L (seeded); COV.npy receives that covariance.
"""
import argparse
import copy
import re

import numpy as np
import twixtools


def flag(mdb, name):
    mdb.set_flag(name, True)


def with_phase_lines(hdr_str, lines, partitions=None, pat=None):
    """The measurement header with sKSpace.lPhaseEncodingLines set to `lines` (and
    sKSpace.lPartitions to `partitions`, if given) in every ASCCONV copy (the shared files
    are Pulseq scans whose host protocol says otherwise); `pat`: further ASCCONV entries
    (name: value), set where present and added where not."""
    raw = hdr_str.tobytes()
    length, count = np.frombuffer(raw[:8], dtype="<u4")
    pos, parts = 8, []
    for _ in range(count):
        end = raw.index(b"\0", pos)
        name = raw[pos:end]
        size = int(np.frombuffer(raw[end + 1:end + 5], dtype="<u4")[0])
        text = raw[end + 5:end + 5 + size]
        text = re.sub(rb"(sKSpace\.lPhaseEncodingLines\s*=\s*)\d+", rb"\g<1>%d" % lines, text)
        if partitions is not None:
            text = re.sub(rb"(sKSpace\.lPartitions\s*=\s*)\d+", rb"\g<1>%d" % partitions, text)
        for key, value in (pat or {}).items():
            entry = re.compile(rb"(\n" + re.escape(key.encode()) + rb"\s*=\s*)\S+")
            if entry.search(text):
                text = entry.sub(rb"\g<1>%d" % value, text)
            elif b"### ASCCONV END ###" in text:
                text = text.replace(b"### ASCCONV END ###", b"%s\t = \t%d\n### ASCCONV END ###" % (key.encode(), value), 1)
        parts.append(name + b"\0" + np.uint32(len(text)).tobytes() + text)
        pos = end + 5 + size
    body = b"".join(parts) + raw[pos:length]
    out = np.uint32(8 + len(body)).tobytes() + np.uint32(count).tobytes() + body
    return np.frombuffer(out, dtype="<S1").copy()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--accel", type=int, default=1)
    p.add_argument("--acs", type=int, default=0)
    p.add_argument("--noise", type=int, default=0, help="number of noise-adjust readouts")
    p.add_argument("--noise-out")
    p.add_argument("--add-noise", type=float, default=0,
                   help="also add noise of the noise scans' covariance, times this factor, to every image line")
    p.add_argument("--slices", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reflect-odd", action="store_true",
                   help="store odd lines time-reversed with the REFLECT flag (a reader must flip them back)")
    p.add_argument("--averages", type=int, default=1,
                   help="repeat every line with the average counter set and its samples perturbed")
    p.add_argument("--line-offset", type=int, default=0,
                   help="number lines from this one (earlier lines dropped, centre line counter lowered to match)")
    p.add_argument("--protocol-lines", action="store_true",
                   help="write the true line count into the protocol and centre line ny/2 into every scan")
    p.add_argument("--repetitions", type=int, default=1,
                   help="repeat the acquisition (repetition counter), each repetition phase-rotated")
    p.add_argument("--reference-once", action="store_true",
                   help="reference lines only in repetition 0 (later ones: the lattice alone)")
    p.add_argument("--partitions", type=int, default=1,
                   help="a 3-D slab of this many partitions: the object times a smooth profile along z (kz = its FFT)")
    p.add_argument("--echo-asymmetry", type=int, default=0,
                   help="drop this many samples from the start of every readout, the centre column lowered to match")
    p.add_argument("--quaternion", type=float, nargs=4, help="slice rotation (w, x, y, z) in every scan header")
    p.add_argument("--position", type=float, nargs=3, help="centre (Sag, Cor, Tra mm) of the slice at order 0")
    p.add_argument("--slice-step", type=float, default=0, help="distance between neighbouring slice positions (mm)")
    p.add_argument("--slice-order", help="comma-separated position index of each slice counter (default 0, 1, ...)")
    p.add_argument("--partition-accel", type=int, default=1, help="acceleration along kz (with --partitions)")
    p.add_argument("--partition-acs", type=int, default=0, help="fully sampled partitions of the reference box")
    p.add_argument("--caipi-shift", type=int, default=0, help="lines the ky lattice moves by per sampled partition")
    p.add_argument("--partition-partial-fourier", type=int, default=0,
                   help="partial Fourier along kz: the first N partitions are never acquired")
    p.add_argument("--partition-offset", type=int, default=0,
                   help="as --partition-partial-fourier, and the partition counters (and centre partition) start at 0")
    a = p.parse_args()
    order = [int(v) for v in a.slice_order.split(",")] if a.slice_order else list(range(a.slices))
    # A 3-D slab: the same plane under a smooth, complex profile along z; partition p holds
    # its centred orthonormal FFT's sample p.
    z = np.arange(a.partitions) - a.partitions // 2
    profile = np.exp(-(z / max(1, a.partitions / 3)) ** 2) * np.exp(0.2j * z)
    kz_weights = np.fft.fftshift(np.fft.fft(np.fft.ifftshift(profile), norm="ortho")) if a.partitions > 1 else [1]
    scan = twixtools.read_twix(a.input, verbose=False, parse_pmu=False, parse_geometry=False)[-1]
    image = [m for m in scan["mdb"] if m.is_image_scan()]
    ny = max(m.cLin for m in image) + 1
    first = ny // 2 - a.acs // 2
    out = []
    rng = np.random.default_rng(a.seed)
    if a.noise:
        coils, samples = image[0].data.shape
        lower = np.tril(rng.normal(size=(coils, coils)) + 1j * rng.normal(size=(coils, coils)))
        lower[np.diag_indices(coils)] = np.abs(lower[np.diag_indices(coils)]) + coils ** 0.5
        lower *= 1e-5
        for i in range(a.noise):
            m = image[0].convert_to_local()
            white = (rng.normal(size=(coils, samples)) + 1j * rng.normal(size=(coils, samples))) / np.sqrt(2)
            m.data = (lower @ white).astype(np.complex64)
            m.clear_all_flags()
            flag(m, "NOISEADJSCAN")
            m.mdh.Counter.Lin = i
            out.append(m)
        if a.noise_out:
            np.save(a.noise_out, lower @ lower.conj().T)

    def noisy(data):
        if not a.add_noise:
            return data
        white = (rng.normal(size=data.shape) + 1j * rng.normal(size=data.shape)) / np.sqrt(2)
        return (data + a.add_noise * (lower @ white)).astype(np.complex64)
    for rep, s in [(rep, s) for rep in range(a.repetitions) for s in range(a.slices)]:
        for m in image:
            y = m.cLin
            on_lattice = (y - ny // 2) % a.accel == 0
            in_acs = first <= y < first + a.acs and not (a.reference_once and rep)
            both_axes = a.partition_accel > 1 or a.caipi_shift
            if not on_lattice and not in_acs and not both_axes:
                continue
            m = m.convert_to_local()
            m.data = noisy(m.data)
            if s or rep:
                # a different slice or repetition: the same scan, phase-rotated so that they differ
                m.data = (m.data * np.exp(1j * (0.3 * s + 0.7 * rep))).astype(np.complex64)
            m.mdh.Counter.Rep = rep
            if y < a.line_offset:
                continue
            m.mdh.Counter.Sli = s
            if a.echo_asymmetry:
                m.data = np.ascontiguousarray(m.data[:, a.echo_asymmetry:])
                m.mdh.CenterCol = (m.data.shape[1] + a.echo_asymmetry) // 2 - a.echo_asymmetry
            if a.quaternion:
                w, x, y_, z = a.quaternion
                normal = np.array([2 * (x * z + y_ * w), 2 * (y_ * z - x * w), 1 - 2 * (x * x + y_ * y_)])
                centre = np.array(a.position or [0, 0, 0]) + a.slice_step * order[s] * normal
                m.mdh.SliceData.Quaternion[:] = [w, x, y_, z]
                m.mdh.SliceData.SlicePos.Sag, m.mdh.SliceData.SlicePos.Cor, m.mdh.SliceData.SlicePos.Tra = centre
            m.mdh.Counter.Lin = y - a.line_offset
            if a.protocol_lines:
                m.mdh.CenterLin = ny // 2 - a.line_offset
            if in_acs:
                flag(m, "PATREFSCAN")
                if on_lattice:
                    flag(m, "PATREFANDIMASCAN")
            if a.reflect_odd and y % 2:
                m.data = np.ascontiguousarray(m.data[:, ::-1])
                flag(m, "REFLECT")
            for average in range(a.averages):
                copy_ = copy.deepcopy(m) if average else m
                if average:
                    copy_.mdh.Counter.Ave = average
                    copy_.data = (m.data * (1 + 0.5 * average)).astype(np.complex64)
                for par, weight in enumerate(kz_weights):
                    step = (par - a.partitions // 2) // a.partition_accel
                    par_lattice = (par - a.partitions // 2) % a.partition_accel == 0 and (y - ny // 2 - a.caipi_shift * step) % a.accel == 0
                    par_box = in_acs and a.partitions // 2 - a.partition_acs // 2 <= par < a.partitions // 2 - a.partition_acs // 2 + a.partition_acs
                    if (both_axes and not par_lattice and not par_box) or par < max(a.partition_partial_fourier, a.partition_offset):
                        continue
                    part = copy.deepcopy(copy_) if a.partitions > 1 else copy_
                    if a.partitions > 1:
                        part.mdh.Counter.Par = par - a.partition_offset
                        part.mdh.CenterPar = a.partitions // 2 - a.partition_offset
                        part.data = (copy_.data * weight).astype(np.complex64)
                    if both_axes:
                        for name in ("PATREFSCAN", "PATREFANDIMASCAN"):
                            part.set_flag(name, False)
                        if par_box:
                            flag(part, "PATREFSCAN")
                            if par_lattice:
                                flag(part, "PATREFANDIMASCAN")
                    out.append(part)
    for m in scan["mdb"]:
        if m.is_flag_set("ACQEND"):
            out.append(m.convert_to_local() if hasattr(m, "convert_to_local") else m)
    new = copy.copy(scan)
    new["mdb"] = out
    if a.protocol_lines:
        pat = {"sPat.lAccelFactPE": a.accel, "sPat.lRefLinesPE": a.acs}
        if a.partition_accel > 1 or a.caipi_shift:
            pat.update({"sPat.lAccelFact3D": a.partition_accel, "sPat.lRefLines3D": a.partition_acs,
                        "sPat.lReorderingShift3D": a.caipi_shift})
        new["hdr_str"] = with_phase_lines(scan["hdr_str"], ny, a.partitions if a.partitions > 1 else None, pat)
    twixtools.write_twix([new], a.output, version_is_ve=True)


if __name__ == "__main__":
    main()

import Foundation
import MRICore

/// Where the lines of a twix acquisition go, where its noise is, and what `info` shows of it.
extension TwixVolumeReader {
    /// The phase-encoding lines of a slice and the shift from line counter to row.
    struct LinePlacement {
        var ny: Int
        var shift: Int
        /// How the lines were placed, for `info`.
        var note: String
    }

    /// Lines by the protocol's matrix and the recorded centre line (centre at row ny/2), or,
    /// where the counters exceed the protocol's matrix, by the counters themselves.
    static func linePlacement(_ scans: [TwixScan], image: [TwixScan], protocolLines: Int?, source: String) throws -> LinePlacement {
        let lowest = scans.map(\.line).min() ?? 0, highest = scans.map(\.line).max() ?? 0
        let centre = mostCommon(image.map(\.centreLine)) ?? 0
        try requirePlausibleCounters(scans.map(\.line), of: "lines", name: "line counters", source: source)
        // The protocol describes the data if the lines fit it and span at least half of it
        // (partial Fourier); a research sequence's host protocol may be of another size.
        guard let lines = protocolLines, lines > highest, lines <= 2 * (highest - lowest + 1) else {
            let protocolText = protocolLines.map { "the protocol's \($0)" } ?? "no protocol matrix"
            return LinePlacement(ny: highest + 1, shift: 0,
                                 note: "\(highest + 1) (line counters \(lowest)…\(highest) do not fit \(protocolText): the protocol does not describe this acquisition)")
        }
        // A centre line of 0 is what sequences that do not set it leave behind.
        let shift = centre > 0 ? lines / 2 - centre : 0
        guard lowest + shift >= 0, highest + shift < lines else {
            throw MRIError(.format, "\(source): lines \(lowest)…\(highest) with k-space centre line \(centre) do not fit the protocol's \(lines) phase-encoding lines centred at \(lines / 2)")
        }
        return LinePlacement(ny: lines, shift: shift,
                             note: "\(lines) (the protocol's matrix; centre line \(centre > 0 ? String(centre) : "not recorded")\(shift != 0 ? ", lines shifted by \(shift) to centre it at \(lines / 2)" : ""))")
    }

    /// The shift from partition counter to partition that puts the centre partition the image
    /// scans record at `partitions / 2`, as the lines are placed: 0 where none is recorded, or
    /// where the shifted counters would not fit (a sequence whose counters are already placed).
    static func partitionShift(_ scans: [TwixScan], image: [TwixScan], partitions: Int) -> Int {
        guard partitions > 1, let centre = mostCommon(image.map(\.centrePartition)), centre > 0 else { return 0 }
        let shift = partitions / 2 - centre
        let counters = scans.map(\.partition)
        guard let lowest = counters.min(), let highest = counters.max(), lowest + shift >= 0, highest + shift < partitions else { return 0 }
        return shift
    }

    /// Noise-adjust scans of `channels` channels: those of the image measurement, or else
    /// those of an earlier (adjustment) measurement that can be read.
    static func noiseScans(in file: TwixFile, last: [TwixScan], channels: Int) throws -> [TwixScan] {
        let matching = { (scans: [TwixScan]) -> [TwixScan] in
            let noise = scans.filter { $0.has(.noiseAdjust) && $0.channels == channels }
            return noise.filter { $0.samples == noise.first?.samples }
        }
        if case let found = matching(last), !found.isEmpty { return found }
        for m in stride(from: file.measurements.count - 2, through: 0, by: -1) {
            // An adjustment measurement that cannot be read has no noise to give; the image
            // measurement has been read in full already.
            guard let start = try? file.protocolBuffers(of: m).dataStart,
                  let scans = try? file.scans(of: m, from: start) else { continue }
            if case let found = matching(scans), !found.isEmpty { return found }
        }
        return []
    }

    static func describe(_ prot: TwixProtocol, layout: TwixLayout, measurements: Int, counts: (image: Int, reference: Int, noise: Int),
                         loops: (slices: Int, echoes: Int, phases: Int, repetitions: Int, sets: Int),
                         placement: LinePlacement, readout: ReadoutPlacement) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        let add = { (name: String, value: String?) in if let value, !value.isEmpty { out.append((name, value)) } }
        add("software", (prot.parameter("SoftwareVersions") ?? "unknown") + (layout == .vb ? " (VB layout)" : " (VD/VE/XA layout)")
            + ", \(measurements) measurement\(measurements == 1 ? "" : "s") (the last is read)")
        add("scanner", [prot.parameter("Manufacturer"), prot.parameter("ManufacturersModelName"),
                        prot.parameter("flMagneticFieldStrength").flatMap(Double.init).map { String(format: "%.2f T", $0) }]
            .compactMap { $0 }.joined(separator: " "))
        add("coil", prot.ascconv["sCoilSelectMeas.aRxCoilSelectData[0].asList[0].sCoilElementID.tCoilID"]
            ?? prot.ascconv["asCoilSelectMeas[0].asList[0].sCoilElementID.tCoilID"])
        add("protocol", prot.ascconv["tProtocolName"])
        add("sequence", prot.ascconv["tSequenceFileName"])
        add("TR/TE", prot.number("alTR[0]").map { tr in String(format: "%.2f / %@ ms", tr / 1000, prot.number("alTE[0]").map { String(format: "%.2f", $0 / 1000) } ?? "?") })
        add("protocol matrix", prot.integer("sKSpace.lBaseResolution").map { "\($0) readout × \(prot.integer("sKSpace.lPhaseEncodingLines").map(String.init) ?? "?") phase encoding" })
        add("readout oversampling", prot.parameter("flReadoutOSFactor"))
        add("protocol acceleration", prot.integer("sPat.lAccelFactPE").map { "R = \($0), \(prot.integer("sPat.lRefLinesPE").map(String.init) ?? "no") reference lines" }
            .map { along in
                // 3-D: the protocol's acceleration along kz and CAIPIRINHA shift, beside what the scans show.
                guard let rz = prot.integer("sPat.lAccelFact3D"), rz > 1 else { return along }
                let shift = prot.integer("sPat.lReorderingShift3D").flatMap { $0 > 0 ? ", CAIPIRINHA shift \($0)" : nil } ?? ""
                return along + "; × \(rz) along kz, \(prot.integer("sPat.lRefLines3D").map(String.init) ?? "no") reference partitions\(shift)"
            })
        add("lines", placement.note)
        add("readout", readout.note)
        add("scans", "\(counts.image) image, \(counts.reference) reference-only, \(counts.noise) noise-adjust")
        add("loops", "\(loops.slices) slice(s), \(loops.echoes) echo(es), \(loops.phases) phase(s), \(loops.repetitions) repetition(s), \(loops.sets) set(s) → slices of the volume, slice innermost")
        return out
    }
}

import Foundation

/// Where a twix file's slices lie: each slice's centre and rotation from the scan headers of
/// its readouts (what the sequence ran, as ISMRMRD's converter reads them), the field of view
/// and thickness from the protocol.
extension TwixVolumeReader {
    /// The protocol's first slice's field of view and thickness, and the readout oversampling
    /// (`flReadoutOSFactor`, where the readout of `samples` divides by it); nil without them.
    /// The phase field of view is the encoded one: the protocol's, widened by its phase
    /// oversampling (`sKSpace.dPhaseOversamplingForDialog`), whose lines the image keeps.
    static func fieldOfView(_ prot: TwixProtocol, samples: Int) -> (readout: Double, phase: Double, thickness: Double, oversampling: Int)? {
        let slice = "sSliceArray.asSlice[0]."
        guard let readout = prot.number(slice + "dReadoutFOV"), let phase = prot.number(slice + "dPhaseFOV"),
              let thickness = prot.number(slice + "dThickness"), readout > 0, phase > 0, thickness > 0 else { return nil }
        let factor = prot.parameter("flReadoutOSFactor").flatMap(Double.init).map { Int($0.rounded()) } ?? 1
        let phaseOversampling = max(0, prot.number("sKSpace.dPhaseOversamplingForDialog") ?? 0)
        return (readout, phase * (1 + phaseOversampling), thickness, factor >= 1 && samples % factor == 0 ? factor : 1)
    }

    public func geometry() throws -> ScanGeometry? {
        guard let fieldOfView else { return nil }
        var slices: [ScanGeometry.Slice] = []
        // A 3-D slab's thickness is shared by its partitions: slice p of a slab is its z plane
        // p (after the inverse transform along kz), p − P/2 planes from the slab's centre.
        let plane = fieldOfView.thickness / Double(partitions)
        for index in entries.indices {
            // A plane's placement is its slab's (partitions never acquired — acceleration or
            // partial Fourier along kz — have no scans of their own).
            let slab = entries[(index / partitions * partitions)..<((index / partitions + 1) * partitions)].joined()
            guard let scan = (slab.first { !$0.reference } ?? slab.first)?.scan else { return nil }
            let q = SIMD4<Double>(scan.quaternion)
            // A header without a rotation (all zeros) places nothing.
            guard abs((q * q).sum() - 1) < 1e-3 else { return nil }
            let columns = ScanGeometry.rotationColumns(w: q[0], x: q[1], y: q[2], z: q[3])
            let offset = Double(index % partitions - partitions / 2) * plane
            slices.append(ScanGeometry.Slice(centre: SIMD3<Double>(scan.slicePosition) + offset * columns[2], read: columns[1],
                                             phase: columns[0], normal: columns[2]))
        }
        return ScanGeometry(readoutFOV: fieldOfView.readout, phaseFOV: fieldOfView.phase, sliceThickness: plane,
                            readoutOversampling: fieldOfView.oversampling, slices: slices)
    }
}

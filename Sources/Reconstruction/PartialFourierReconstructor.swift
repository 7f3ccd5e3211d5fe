import MRICore

/// `inner` run on the lines a partial-Fourier acquisition covers (``MRICore/Acquisition/acquiredRegion``),
/// cropped out as a k-space of their own; the never-acquired lines come back zero (zero
/// filling). Every k-space method fills a line from its neighbours, so the crop changes
/// nothing but the missing lines beyond the region's edge, which there is nothing to fill
/// from; an acquisition without such an edge passes straight through.
struct PartialFourierReconstructor: Reconstructor {
    let inner: any Reconstructor

    var replacesMeasuredLines: Bool { inner.replacesMeasuredLines }

    func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let region = acquisition.acquiredRegion
        guard region.count < k.ny else { return try inner.reconstruct(consume k, acquisition) }
        let (ny, nx) = (k.ny, k.nx)
        var result = try inner.reconstruct(k.window(lines: region, readout: 0..<nx), acquisition.restricted(to: region))
        result.kspace = result.kspace.embedded(ny: ny, nx: nx, lines: region, readout: 0..<nx)
        return result
    }
}

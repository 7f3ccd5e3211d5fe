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
        let (coils, ny, nx) = (k.coils, k.ny, k.nx)
        var cropped = KSpace(zerosCoils: coils, ny: region.count, nx: nx)
        for c in 0..<coils {
            cropped.data.replaceSubrange((c * region.count * nx)..<((c + 1) * region.count * nx),
                                         with: k.data[((c * ny + region.lowerBound) * nx)..<((c * ny + region.upperBound) * nx)])
        }
        var result = try inner.reconstruct(cropped, acquisition.restricted(to: region))
        var full = KSpace(zerosCoils: coils, ny: ny, nx: nx)
        for c in 0..<coils {
            full.data.replaceSubrange(((c * ny + region.lowerBound) * nx)..<((c * ny + region.upperBound) * nx),
                                      with: result.kspace.data[(c * region.count * nx)..<((c + 1) * region.count * nx)])
        }
        result.kspace = full
        return result
    }
}

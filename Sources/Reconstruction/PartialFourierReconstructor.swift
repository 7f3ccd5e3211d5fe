import Compute
import MRICore

/// `inner` run on the part of k-space a partial-Fourier acquisition covers — its lines
/// (``MRICore/Acquisition/acquiredRegion``) and its readout samples (an asymmetric echo's,
/// ``MRICore/Acquisition/acquiredReadout``) — cropped out as a k-space of their own; the
/// never-acquired part is then completed by `completion` (zero filling, or POCS). Every
/// k-space method fills a line from its neighbours, so the crop changes nothing but the
/// missing lines beyond the region's edge, which there is nothing to fill from; an
/// acquisition without such an edge passes straight through.
struct PartialFourierReconstructor: Reconstructor {
    let inner: any Reconstructor
    var completion = PartialFourierCompletion.zeros

    var replacesMeasuredLines: Bool { inner.replacesMeasuredLines }

    func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let (ny, nx) = (k.ny, k.nx)
        let lines = acquisition.acquiredRegion, readout = acquisition.acquiredReadout ?? 0..<nx
        guard readout.clamped(to: 0..<nx) == readout, !readout.isEmpty else {
            throw MRIError(.invalidArgument, "the acquired readout samples \(readout) lie outside the \(nx) of the k-space")
        }
        guard lines.count < ny || readout.count < nx else {
            return try inner.reconstruct(consume k, acquisition.withAcquiredReadout(nil))
        }
        var cropped = lines.count < ny ? try acquisition.restricted(to: lines) : acquisition
        if readout.count < nx { cropped = cropped.measuredOnOneSideOfReadout() }
        var result = try inner.reconstruct(k.window(lines: lines, readout: readout), cropped)
        result.kspace = result.kspace.embedded(ny: ny, nx: nx, lines: lines, readout: readout)
        if completion == .pocs {
            let started = Stopwatch()
            result.kspace = result.kspace.completedByPOCS(lines: lines, readout: readout)
            result.timings.application += started.seconds
        }
        return result
    }
}

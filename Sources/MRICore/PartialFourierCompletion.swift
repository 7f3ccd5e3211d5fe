import Numerics

/// How the never-acquired part of a partial-Fourier acquisition (lines beyond the acquired
/// region, readout samples before an asymmetric echo) is completed once the acquired region
/// is reconstructed.
public enum PartialFourierCompletion: String, CaseIterable, Sendable {
    /// Left zero: the image keeps the acquired part's resolution and its ringing along the
    /// partial direction; magnitude and phase are unbiased.
    case zeros
    /// Projection onto convex sets (Haacke, Lindskog & Lin, JMR 1991), coil by coil: the
    /// image's phase is taken from the symmetrically sampled centre of k-space; the missing
    /// part is estimated by alternating between an image of that phase and the acquired
    /// samples (``KSpace/completedByPOCS(lines:readout:iterations:)``).
    case pocs

    /// The projections POCS makes (``KSpace/completedByPOCS(lines:readout:iterations:)``).
    /// On the simulated development slices the error has settled within 0.6 % of its limit
    /// after this many; at mid and low SNR the first one or two projections are slightly
    /// better than the limit, at high SNR worse (`Lab/scripts/partial_fourier_bench.py
    /// --iterations`, BENCHMARKS "Images and partial Fourier").
    public static let pocsIterations = 5
}

extension KSpace {
    /// The missing part of a k-space measured on `lines` × `readout` only, estimated coil by
    /// coil by projections onto convex sets: with `φ` the phase of the coil image of the
    /// symmetrically sampled centre (Hann-windowed along each partial axis), repeat
    /// `x ← |x|·e^{iφ}`, then put the measured samples back. Samples inside the region are
    /// returned unchanged; outside it this k-space's values are ignored (taken as zero).
    ///
    /// A region that covers a whole axis leaves it alone; one that covers everything returns
    /// this k-space; one without a sample measured on both sides of the centre (so without a
    /// phase to go by) is zero-filled.
    public func completedByPOCS(lines: Range<Int>, readout: Range<Int>,
                                iterations: Int = PartialFourierCompletion.pocsIterations) -> KSpace {
        precondition(lines.clamped(to: 0..<ny) == lines && readout.clamped(to: 0..<nx) == readout && !lines.isEmpty && !readout.isEmpty,
                     "the measured region lies inside the k-space")
        guard lines.count < ny || readout.count < nx else { return self }
        let measured = embeddedRegion(lines: lines, readout: readout)
        guard !Self.symmetricCentre(of: lines, n: ny).isEmpty && !Self.symmetricCentre(of: readout, n: nx).isEmpty else { return measured }
        let phase = Self.unitPhase(of: CenteredFFT.image(from: measured.lowPassCentre(lines: lines, readout: readout)))
        var estimate = measured
        for _ in 0..<iterations {
            var images = CenteredFFT.image(from: estimate)
            for i in images.data.indices { images.data[i] = Complex(images.data[i].length) * phase[i] }
            estimate = CenteredFFT.kspace(from: images)
            estimate.replace(lines: lines, readout: readout, from: measured)
        }
        return estimate
    }

    /// The symmetric part of `region` along an axis of `n` samples (centre at `n/2`): the
    /// samples whose mirror `2·(n/2) − i` is in `region` too.
    static func symmetricCentre(of region: Range<Int>, n: Int) -> Range<Int> {
        let mirror = 2 * (n / 2)
        let lower = max(region.lowerBound, mirror - (region.upperBound - 1))
        let upper = min(region.upperBound, mirror - region.lowerBound + 1)
        return lower..<max(lower, upper)
    }

    /// Weights along one axis: 1 everywhere for a whole axis; for a partial one, a Hann window
    /// over its symmetric centre (zero outside), so that the phase estimate is low-resolution
    /// and free of the centre's edge ringing.
    static func centreWindow(of region: Range<Int>, n: Int) -> [Float] {
        guard region.count < n else { return [Float](repeating: 1, count: n) }
        let centre = symmetricCentre(of: region, n: n), middle = n / 2
        let half = Float(max(middle - centre.lowerBound, centre.upperBound - 1 - middle) + 1)
        return (0..<n).map { i in
            guard centre.contains(i) else { return 0 }
            let c = Float.cos(Float.pi / 2 * Float(i - middle) / half)
            return c * c
        }
    }

    /// This k-space weighted by the centre windows of both axes.
    func lowPassCentre(lines: Range<Int>, readout: Range<Int>) -> KSpace {
        let wy = Self.centreWindow(of: lines, n: ny), wx = Self.centreWindow(of: readout, n: nx)
        var out = self
        for c in 0..<coils {
            for y in 0..<ny {
                let row = (c * ny + y) * nx
                for x in 0..<nx { let w = wy[y] * wx[x]; out.data[row + x] = Complex(out.data[row + x].real * w, out.data[row + x].imaginary * w) }
            }
        }
        return out
    }

    /// `e^{i·arg(z)}` per pixel (1 where `z` is 0).
    static func unitPhase(of images: CoilImages) -> [Complex<Float>] {
        images.data.map { z in
            let r = z.length
            return r > 0 && r.isFinite ? Complex(z.real / r, z.imaginary / r) : Complex(1, 0)
        }
    }

    /// This k-space with every sample outside `lines` × `readout` set to zero.
    func embeddedRegion(lines: Range<Int>, readout: Range<Int>) -> KSpace {
        window(lines: lines, readout: readout).embedded(ny: ny, nx: nx, lines: lines, readout: readout)
    }
}

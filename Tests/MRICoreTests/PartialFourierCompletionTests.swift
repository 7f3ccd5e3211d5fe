import MRICore
import Numerics
import Testing

/// POCS on the analytic case it is exact for: an object of positive magnitude under a smooth
/// phase, measured without noise. (The library against an independent numpy POCS on a brain:
/// python/tests/test_pocs.py.)
@Suite struct PartialFourierCompletionTests {
    /// Two coils of a positive Gaussian blob under a linear-plus-constant phase (a different one
    /// per coil), as centred k-space.
    static func smoothPhaseObject(ny: Int, nx: Int) -> KSpace {
        var images = CoilImages(coils: 2, ny: ny, nx: nx, data: [Complex<Float>](repeating: .zero, count: 2 * ny * nx))
        for c in 0..<2 {
            for y in 0..<ny {
                for x in 0..<nx {
                    let dy = Float(y - ny / 2) / Float(ny), dx = Float(x - nx / 2 - 3) / Float(nx)
                    let magnitude = Float.exp(-(dy * dy + dx * dx) / 0.02) + 0.3 * Float.exp(-((dy - 0.1) * (dy - 0.1) + dx * dx) / 0.002)
                    let phase = 0.4 + Float(c) + 1.5 * dy - 0.8 * dx
                    images.data[(c * ny + y) * nx + x] = Complex(magnitude * Float.cos(phase), magnitude * Float.sin(phase))
                }
            }
        }
        return CenteredFFT.kspace(from: images)
    }

    static func relativeError(_ a: KSpace, _ b: KSpace) -> Float {
        var difference: Float = 0, norm: Float = 0
        for i in a.data.indices { difference += (a.data[i] - b.data[i]).lengthSquared; norm += b.data[i].lengthSquared }
        return (difference / norm).squareRoot()
    }

    @Test(arguments: [(64, 48, 20..<64, 0..<48), (64, 48, 0..<46, 0..<48), (63, 48, 20..<63, 14..<48)])
    func recoversTheMissingPartOfASmoothPhaseObject(ny: Int, nx: Int, lines: Range<Int>, readout: Range<Int>) {
        let truth = Self.smoothPhaseObject(ny: ny, nx: nx)
        let zeros = truth.window(lines: lines, readout: readout).embedded(ny: ny, nx: nx, lines: lines, readout: readout)
        let completed = truth.completedByPOCS(lines: lines, readout: readout, iterations: 30)
        let (before, after) = (Self.relativeError(zeros, truth), Self.relativeError(completed, truth))
        #expect(after < 0.02 && after < 0.1 * before, "zero filling \(before), POCS \(after)")
        // The measured samples are returned untouched; samples given outside are ignored.
        #expect(completed.window(lines: lines, readout: readout) == truth.window(lines: lines, readout: readout))
        #expect(truth.completedByPOCS(lines: lines, readout: readout, iterations: 3)
                == zeros.completedByPOCS(lines: lines, readout: readout, iterations: 3))
    }

    @Test func aWholeRegionIsReturnedAsItIsAndOneWithoutItsCentreZeroFilled() {
        let k = Self.smoothPhaseObject(ny: 16, nx: 12)
        #expect(k.completedByPOCS(lines: 0..<16, readout: 0..<12) == k)
        // No line measured on both sides of ky = 0: no phase to estimate.
        #expect(k.completedByPOCS(lines: 9..<16, readout: 0..<12) == k.window(lines: 9..<16, readout: 0..<12).embedded(ny: 16, nx: 12, lines: 9..<16, readout: 0..<12))
    }
}

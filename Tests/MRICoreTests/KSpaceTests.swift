import Compute
import MRICore
import Numerics
import Testing
import TestSupport

@Suite struct KSpaceFiniteTests {
    /// The blocked search must report the same first non-finite sample as a plain scan:
    /// NaN, +Inf and −Inf in the real or imaginary part, at block edges and in the tail.
    @Test func firstNonFiniteMatchesAPlainScan() {
        var rng = SeededGenerator(seed: 11)
        let (coils, ny, nx) = (3, 37, 29)  // 3219 samples: blocks of 2048 and a ragged tail
        let clean = KSpace(zerosCoils: coils, ny: ny, nx: nx)
        #expect(clean.firstNonFinite() == nil)
        let positions = [0, 1, 2047, 2048, 2049, 3211, 3218] + (0..<20).map { _ in Int(rng.uniform() * 3219) }
        for (trial, position) in positions.enumerated() {
            var k = clean
            let bad: Float = [.nan, .infinity, -.infinity][trial % 3]
            k.data[position] = trial % 2 == 0 ? Complex(bad, 1) : Complex(1, bad)
            if trial % 4 == 0 { k.data[min(position + 5, k.data.count - 1)] = Complex(.nan, .nan) }  // a later one too
            let found = k.firstNonFinite()
            let expected = (position / (ny * nx), (position / nx) % ny, position % nx)
            #expect(found.map { [$0.coil, $0.ky, $0.kx] } == [expected.0, expected.1, expected.2], "position \(position)")
        }
    }
}

/// The window a partial-Fourier or asymmetric-echo reconstruction crops out, and its embedding
/// back, sample by sample against the subscript.
@Suite struct KSpaceWindowTests {
    @Test func windowAndEmbeddingMoveTheRightSamples() {
        let k = randomKSpace(coils: 3, ny: 10, nx: 7, seed: 11)
        let (lines, readout) = (2..<9, 1..<5)
        let w = k.window(lines: lines, readout: readout)
        #expect(w.shape == [3, 7, 4])
        for c in 0..<3 { for (y, ky) in lines.enumerated() { for (x, kx) in readout.enumerated() { #expect(w[c, y, x] == k[c, ky, kx]) } } }
        let back = w.embedded(ny: 10, nx: 7, lines: lines, readout: readout)
        for c in 0..<3 {
            for y in 0..<10 {
                for x in 0..<7 { #expect(back[c, y, x] == (lines.contains(y) && readout.contains(x) ? k[c, y, x] : .zero)) }
            }
        }
    }
}

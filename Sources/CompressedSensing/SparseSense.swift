import Compute
import Numerics

/// argmin_x ½‖A x − y‖² + λ‖W x‖₁ by FISTA (Beck & Teboulle 2009): A the SENSE encoding, W
/// the orthonormal wavelet transform, its proximal step a soft threshold of the wavelet
/// coefficients. With `randomShift` the wavelet grid is shifted by a random offset at every
/// iteration (cycle spinning, as BART's `pics` does), which removes the blocky artefacts of
/// a fixed decimated grid.
public struct SparseSense: Sendable {
    /// λ, in the units of the data.
    public var lambda: Float
    /// Most iterations.
    public var iterations = 100
    /// Stop when ‖x_{k+1} − x_k‖ ≤ tolerance·‖x_{k+1}‖ (0: run every iteration).
    public var tolerance: Float = 0
    /// Cycle spinning.
    public var randomShift = true
    /// Seed of the shifts.
    public var seed: UInt64 = 1

    public init(lambda: Float) { self.lambda = lambda }

    /// The solution, from `start` (default zero); `adjointData` is Aᴴy. `observe` sees each
    /// iterate.
    public func solve(_ a: SenseOperator, adjointData aty: [Complex<Float>], start: [Complex<Float>]? = nil,
                      observe: ((_ iteration: Int, _ x: [Complex<Float>]) -> Void)? = nil) -> (image: [Complex<Float>], iterations: Int) {
        let n = aty.count
        let wavelet = Wavelet2D(ny: a.maps.ny, nx: a.maps.nx)
        let workspace = SenseOperator.Workspace(a)
        let step = 1 / Self.largestEigenvalue(a, workspace)
        var rng = SeededGenerator(seed: seed)
        var x = start ?? [Complex<Float>](repeating: .zero, count: n)
        var z = x, gradient = x, next = x, scratch = x
        var t: Float = 1
        var done = 0
        for iteration in 1...max(iterations, 1) {
            // Gradient step on the data term at z, then the proximal step of λ‖W·‖₁.
            z.withUnsafeBufferPointer { zp in gradient.withUnsafeMutableBufferPointer { a.normal(zp.baseAddress!, into: $0.baseAddress!, workspace) } }
            for i in 0..<n { next[i] = z[i] - (gradient[i] - aty[i]).multiplied(by: step) }
            let period = UInt64(1 << wavelet.levels)
            let shift = randomShift ? (Int(rng.next() % period), Int(rng.next() % period)) : (0, 0)
            Self.shrink(&next, wavelet, threshold: lambda * step, shift: shift, scratch: &scratch)
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            let momentum = (t - 1) / tNext
            var change: Float = 0, size: Float = 0
            for i in 0..<n {
                let d = next[i] - x[i]
                change += d.lengthSquared
                size += next[i].lengthSquared
                z[i] = next[i] + d.multiplied(by: momentum)
            }
            swap(&x, &next)
            t = tNext
            done = iteration
            observe?(iteration, x)
            if tolerance > 0, change <= tolerance * tolerance * size { break }
        }
        return (x, done)
    }

    /// v ← W⁻¹ soft(W·shift(v), τ), unshifted.
    static func shrink(_ v: inout [Complex<Float>], _ wavelet: Wavelet2D, threshold: Float, shift: (Int, Int), scratch c: inout [Complex<Float>]) {
        let (ny, nx) = (wavelet.ny, wavelet.nx)
        for y in 0..<ny {
            let from = ((y + shift.0) % ny) * nx
            for x in 0..<nx { c[y * nx + x] = v[from + (x + shift.1) % nx] }
        }
        c.withUnsafeMutableBufferPointer { cp in
            let p = cp.baseAddress!
            wavelet.forward(p)
            for i in 0..<cp.count {
                let m = p[i].length
                p[i] = m > threshold ? p[i].multiplied(by: 1 - threshold / m) : .zero
            }
            wavelet.inverse(p)
        }
        for y in 0..<ny {
            let to = ((y + shift.0) % ny) * nx
            for x in 0..<nx { v[to + (x + shift.1) % nx] = c[y * nx + x] }
        }
    }

    /// ‖AᴴA‖ by power iteration (≤ 1 for unit-norm maps; a smaller value allows a longer step).
    static func largestEigenvalue(_ a: SenseOperator, _ workspace: SenseOperator.Workspace, iterations: Int = 12) -> Float {
        let n = a.maps.ny * a.maps.nx
        var rng = SeededGenerator(seed: 99)
        var v = (0..<n).map { _ in Complex<Float>(Float(rng.next() % 1000) / 1000 - 0.5, Float(rng.next() % 1000) / 1000 - 0.5) }
        var w = v
        var value: Float = 1
        for _ in 0..<iterations {
            v.withUnsafeBufferPointer { vp in w.withUnsafeMutableBufferPointer { a.normal(vp.baseAddress!, into: $0.baseAddress!, workspace) } }
            let norm = w.reduce(Float(0)) { $0 + $1.lengthSquared }.squareRoot()
            let vNorm = v.reduce(Float(0)) { $0 + $1.lengthSquared }.squareRoot()
            guard norm > 0, vNorm > 0 else { return 1 }
            value = norm / vNorm
            swap(&v, &w)
        }
        // A margin for the estimate converging from below.
        return max(value * 1.02, 1e-6)
    }
}

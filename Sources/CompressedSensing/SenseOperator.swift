import CFFTW
import Compute
import CoilSensitivity
import MRICore
import Numerics

/// The SENSE encoding A = P·F·S of a Cartesian scan with whole ky lines measured: the image
/// x times each coil's map, the centred 2-D Fourier transform, the measured lines. Because
/// the lines are whole, the readout transform cancels in AᴴA, and the centring shifts
/// commute with the remaining circulant operator, so AᴴA x = Σ_c conj(s_c)·F_y⁻¹ M′ F_y (s_c·x)
/// with plain 1-D transforms along ky and the mask M′ = ifftshift(M). Those transforms run on
/// contiguous columns: the operator keeps the maps transposed (`[coil][x][y]`), since FFTW's
/// transforms of strided columns were 80 % of a solve on a 256² scan (a power-of-two stride
/// thrashes the cache).
public struct SenseOperator: Sendable {
    public let maps: SensitivityMaps
    /// Measured lines.
    public let measured: [Bool]
    /// The mask in the order of an unshifted transform.
    let unshiftedMask: [Float]
    /// The maps as `[coil][x][y]`.
    let transposedMaps: [Complex<Float>]

    public init(maps: SensitivityMaps, measured: [Bool]) {
        precondition(measured.count == maps.ny)
        let ny = maps.ny
        self.maps = maps
        self.measured = measured
        // ifftshift: out[i] = in[(i + ny/2) mod ny]; the 1/ny of the unnormalised pair folded in.
        unshiftedMask = (0..<ny).map { measured[($0 + ny / 2) % ny] ? 1 / Float(ny) : 0 }
        var transposed = maps.data
        let n = ny * maps.nx
        for c in 0..<maps.coils {
            Self.transpose(maps.data, from: c * n, rows: ny, columns: maps.nx, into: &transposed, at: c * n)
        }
        transposedMaps = transposed
    }

    /// `out[at + x·rows + y] = a[from + y·columns + x]`.
    static func transpose(_ a: [Complex<Float>], from: Int, rows: Int, columns: Int, into out: inout [Complex<Float>], at: Int) {
        for y in 0..<rows { for x in 0..<columns { out[at + x * rows + y] = a[from + y * columns + x] } }
    }

    /// Aᴴy: the coil images of the measured k-space `k` (unmeasured lines are ignored)
    /// combined with the conjugate maps.
    public func adjoint(_ k: KSpace) -> [Complex<Float>] {
        maps.combine(CenteredFFT.image(from: k.masked(by: SamplingMask(acquired: measured))))
    }

    /// A x: the coil k-space of image `x` on the measured lines, zero on the others.
    public func forward(_ x: [Complex<Float>]) -> KSpace {
        CenteredFFT.kspace(from: coilImages(x)).masked(by: SamplingMask(acquired: measured))
    }

    /// The coil images s_c·x.
    public func coilImages(_ x: [Complex<Float>]) -> CoilImages {
        let n = maps.ny * maps.nx
        var data = [Complex<Float>](repeating: .zero, count: maps.coils * n)
        for c in 0..<maps.coils { for i in 0..<n { data[c * n + i] = maps.data[c * n + i] * x[i] } }
        return CoilImages(coils: maps.coils, ny: maps.ny, nx: maps.nx, data: data)
    }

    /// AᴴA x.
    public func normal(_ x: [Complex<Float>]) -> [Complex<Float>] {
        var out = [Complex<Float>](repeating: .zero, count: x.count)
        let workspace = Workspace(self)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { normal(xp.baseAddress!, into: $0.baseAddress!, workspace) } }
        return out
    }

    /// Buffers of ``normal(_:into:_:)`` for one solve: an FFT-aligned image and a partial sum
    /// per chunk of coils, allocated once. The chunks are fixed (``Compute/Parallel/chunkCount``),
    /// not one per worker, so that the sums, and the result, do not depend on the workers.
    public final class Workspace: @unchecked Sendable {
        let chunks: Int, n: Int
        let buffers: [UnsafeMutablePointer<fftwf_complex>]
        let partial: UnsafeMutablePointer<Complex<Float>>
        let transposed: UnsafeMutablePointer<Complex<Float>>

        public init(_ a: SenseOperator) {
            n = a.maps.ny * a.maps.nx
            chunks = max(1, min(a.maps.coils, Parallel.chunkCount))
            buffers = (0..<chunks).map { _ in fftwf_alloc_complex(a.maps.ny * a.maps.nx)! }
            partial = .allocate(capacity: chunks * n)
            transposed = .allocate(capacity: n)
        }

        deinit {
            for b in buffers { fftwf_free(b) }
            partial.deallocate()
            transposed.deallocate()
        }
    }

    /// AᴴA x into `out`: the coils split over the workers, each summing its own part, in the
    /// transposed layout.
    public func normal(_ x: UnsafePointer<Complex<Float>>, into out: UnsafeMutablePointer<Complex<Float>>, _ w: Workspace) {
        let (coils, ny, nx, n) = (maps.coils, maps.ny, maps.nx, w.n)
        let plan = FFTPlanCache.shared.plan1D(n: ny, howMany: nx, stride: 1, distance: ny, forward: true)
        let inverse = FFTPlanCache.shared.plan1D(n: ny, howMany: nx, stride: 1, distance: ny, forward: false)
        let xt = w.transposed
        for y in 0..<ny { for i in 0..<nx { xt[i * ny + y] = x[y * nx + i] } }
        transposedMaps.withUnsafeBufferPointer { sp in
            unshiftedMask.withUnsafeBufferPointer { mp in
                let (xs, ss, ms) = (UnsafeSendable(UnsafePointer(xt)), UnsafeSendable(sp.baseAddress!), UnsafeSendable(mp.baseAddress!))
                Parallel.forEach(w.chunks) { chunk in
                    let work = w.buffers[chunk]
                    let buffer = UnsafeMutableRawPointer(work).assumingMemoryBound(to: Complex<Float>.self)
                    let sum = w.partial + chunk * n
                    sum.initialize(repeating: .zero, count: n)
                    for c in stride(from: chunk, to: coils, by: w.chunks) {
                        let s = ss.value + c * n
                        for i in 0..<n { buffer[i] = s[i] * xs.value[i] }
                        fftwf_execute_dft(plan.value, work, work)
                        for column in 0..<nx {
                            let col = buffer + column * ny
                            for y in 0..<ny { col[y] = col[y].multiplied(by: ms.value[y]) }
                        }
                        fftwf_execute_dft(inverse.value, work, work)
                        for i in 0..<n { sum[i] = sum[i] + s[i].conjugate * buffer[i] }
                    }
                }
            }
        }
        for chunk in 1..<w.chunks {
            let part = w.partial + chunk * n
            for i in 0..<n { w.partial[i] = w.partial[i] + part[i] }
        }
        for y in 0..<ny { for i in 0..<nx { out[y * nx + i] = w.partial[i * ny + y] } }
    }
}

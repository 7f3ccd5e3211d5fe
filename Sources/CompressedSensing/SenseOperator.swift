import CFFTW
import Compute
import CoilSensitivity
import MRICore
import Numerics

/// The SENSE encoding A = P·F·S of a Cartesian scan with whole ky lines measured: the image
/// x times each coil's map, the centred 2-D Fourier transform, the measured lines. Because
/// the lines are whole, the readout transform cancels in AᴴA, and the centring shifts
/// commute with the remaining circulant operator, so AᴴA x = Σ_c conj(s_c)·F_y⁻¹ M′ F_y (s_c·x)
/// with plain 1-D transforms along ky and the mask M′ = ifftshift(M).
public struct SenseOperator: Sendable {
    public let maps: SensitivityMaps
    /// Measured lines.
    public let measured: [Bool]
    /// The mask in the order of an unshifted transform.
    let unshiftedMask: [Float]

    public init(maps: SensitivityMaps, measured: [Bool]) {
        precondition(measured.count == maps.ny)
        let ny = maps.ny
        self.maps = maps
        self.measured = measured
        // ifftshift: out[i] = in[(i + ny/2) mod ny]; the 1/ny of the unnormalised pair folded in.
        unshiftedMask = (0..<ny).map { measured[($0 + ny / 2) % ny] ? 1 / Float(ny) : 0 }
    }

    /// Aᴴy: the coil images of the measured k-space `k` (unmeasured lines are ignored)
    /// combined with the conjugate maps.
    public func adjoint(_ k: KSpace) -> [Complex<Float>] {
        var masked = k
        for c in 0..<k.coils { for y in 0..<k.ny where !measured[y] { for x in 0..<k.nx { masked[c, y, x] = .zero } } }
        return maps.combine(CenteredFFT.image(from: masked))
    }

    /// A x: the coil k-space of image `x` on the measured lines, zero on the others.
    public func forward(_ x: [Complex<Float>]) -> KSpace {
        var k = CenteredFFT.kspace(from: coilImages(x))
        for c in 0..<k.coils { for y in 0..<k.ny where !measured[y] { for i in 0..<k.nx { k[c, y, i] = .zero } } }
        return k
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

        public init(_ a: SenseOperator) {
            n = a.maps.ny * a.maps.nx
            chunks = max(1, min(a.maps.coils, Parallel.chunkCount))
            buffers = (0..<chunks).map { _ in fftwf_alloc_complex(a.maps.ny * a.maps.nx)! }
            partial = .allocate(capacity: chunks * n)
        }

        deinit {
            for b in buffers { fftwf_free(b) }
            partial.deallocate()
        }
    }

    /// AᴴA x into `out`: the coils split over the workers, each summing its own part.
    public func normal(_ x: UnsafePointer<Complex<Float>>, into out: UnsafeMutablePointer<Complex<Float>>, _ w: Workspace) {
        let (coils, ny, nx, n) = (maps.coils, maps.ny, maps.nx, w.n)
        let plan = FFTPlanCache.shared.plan1D(n: ny, howMany: nx, stride: nx, distance: 1, forward: true)
        let inverse = FFTPlanCache.shared.plan1D(n: ny, howMany: nx, stride: nx, distance: 1, forward: false)
        maps.data.withUnsafeBufferPointer { sp in
            unshiftedMask.withUnsafeBufferPointer { mp in
                let (xs, ss, ms) = (UnsafeSendable(x), UnsafeSendable(sp.baseAddress!), UnsafeSendable(mp.baseAddress!))
                Parallel.forEach(w.chunks) { chunk in
                    let work = w.buffers[chunk]
                    let buffer = UnsafeMutableRawPointer(work).assumingMemoryBound(to: Complex<Float>.self)
                    let sum = w.partial + chunk * n
                    sum.initialize(repeating: .zero, count: n)
                    for c in stride(from: chunk, to: coils, by: w.chunks) {
                        let s = ss.value + c * n
                        for i in 0..<n { buffer[i] = s[i] * xs.value[i] }
                        fftwf_execute_dft(plan.value, work, work)
                        for y in 0..<ny {
                            let m = ms.value[y], row = buffer + y * nx
                            if m == 0 {
                                row.update(repeating: .zero, count: nx)
                            } else {
                                for i in 0..<nx { row[i] = row[i].multiplied(by: m) }
                            }
                        }
                        fftwf_execute_dft(inverse.value, work, work)
                        for i in 0..<n { sum[i] = sum[i] + s[i].conjugate * buffer[i] }
                    }
                }
            }
        }
        out.update(from: w.partial, count: n)
        for chunk in 1..<w.chunks {
            let part = w.partial + chunk * n
            for i in 0..<n { out[i] = out[i] + part[i] }
        }
    }
}

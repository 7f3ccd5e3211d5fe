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
        let (coils, ny, nx) = (maps.coils, maps.ny, maps.nx), n = ny * nx
        let chunks = min(coils, Parallel.workers)
        var partial = [Complex<Float>](repeating: .zero, count: chunks * n)
        let plan = FFTPlanCache.shared.plan1D(n: ny, howMany: nx, stride: nx, distance: 1, forward: true)
        let inverse = FFTPlanCache.shared.plan1D(n: ny, howMany: nx, stride: nx, distance: 1, forward: false)
        x.withUnsafeBufferPointer { xp in
            maps.data.withUnsafeBufferPointer { sp in
                unshiftedMask.withUnsafeBufferPointer { mp in
                    partial.withUnsafeMutableBufferPointer { pp in
                        let (xs, ss, ms, ps) = (UnsafeSendable(xp.baseAddress!), UnsafeSendable(sp.baseAddress!),
                                                UnsafeSendable(mp.baseAddress!), UnsafeSendable(pp.baseAddress!))
                        Parallel.forEach(chunks) { chunk in
                            let work = fftwf_alloc_complex(n)!
                            defer { fftwf_free(work) }
                            let buffer = UnsafeMutableRawPointer(work).assumingMemoryBound(to: Complex<Float>.self)
                            let sum = ps.value + chunk * n
                            for c in stride(from: chunk, to: coils, by: chunks) {
                                let s = ss.value + c * n
                                for i in 0..<n { buffer[i] = s[i] * xs.value[i] }
                                fftwf_execute_dft(plan.value, work, work)
                                for y in 0..<ny {
                                    let m = ms.value[y]
                                    for i in (y * nx)..<((y + 1) * nx) { buffer[i] = buffer[i].multiplied(by: m) }
                                }
                                fftwf_execute_dft(inverse.value, work, work)
                                for i in 0..<n { sum[i] = sum[i] + s[i].conjugate * buffer[i] }
                            }
                        }
                    }
                }
            }
        }
        var out = [Complex<Float>](partial[0..<n])
        for chunk in 1..<max(chunks, 1) { for i in 0..<n { out[i] = out[i] + partial[chunk * n + i] } }
        return out
    }
}

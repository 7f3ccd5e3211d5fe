import CFFTW
import Compute
import Numerics

extension CenteredFFT {
    /// The centred orthonormal 1-D transform across `slab`, the k-space partitions (kz) of a
    /// 3-D slab, sample by sample: `forward == false` gives its z planes (each a 2-D k-space
    /// `[coils, ky, kx]` of one plane), `true` takes z planes back to partitions. The same
    /// convention as the in-plane transform: `fftshift(ifft(ifftshift(·)))` along the slab.
    public static func alongPartitions(_ slab: [KSpace], forward: Bool) -> [KSpace] {
        let planes = slab.count
        guard planes > 1 else { return slab }
        let (coils, ny, nx) = (slab[0].coils, slab[0].ny, slab[0].nx)
        precondition(slab.allSatisfy { $0.coils == coils && $0.ny == ny && $0.nx == nx }, "partitions of one shape")
        let n = coils * ny * nx
        let buffer = fftwf_alloc_complex(planes * n)!
        defer { fftwf_free(buffer) }
        buffer.withMemoryRebound(to: Complex<Float>.self, capacity: planes * n) { work in
            // ifftshift on the way in: position j holds partition (j + planes/2) mod planes.
            for j in 0..<planes {
                slab[(j + planes / 2) % planes].data.withUnsafeBufferPointer { (work + j * n).update(from: $0.baseAddress!, count: n) }
            }
        }
        let plan = FFTPlanCache.shared.plan1D(n: planes, howMany: n, stride: n, distance: 1, forward: forward)
        fftwf_execute_dft(plan.value, buffer, buffer)
        let scale = Complex<Float>(1 / Float(planes).squareRoot(), 0)
        return buffer.withMemoryRebound(to: Complex<Float>.self, capacity: planes * n) { work in
            // fftshift on the way out: output i is transform index (i − planes/2) mod planes.
            (0..<planes).map { i in
                let j = (i - planes / 2 + planes) % planes
                var plane = KSpace(zerosCoils: coils, ny: ny, nx: nx)
                plane.data.withUnsafeMutableBufferPointer { out in
                    for e in 0..<n { out[e] = work[j * n + e] * scale }
                }
                return plane
            }
        }
    }

    /// The centred orthonormal 1-D transform along the readout of every line of `k`:
    /// `forward == false` gives hybrid space (x, ky), `true` takes it back to k-space.
    public static func alongReadout(_ k: KSpace, forward: Bool) -> KSpace {
        // Every line is one row of a `coils·ny × nx` array, shifted as the 2-D transform shifts a row.
        let (lines, nx) = (k.coils * k.ny, k.nx)
        let buffer = fftwf_alloc_complex(lines * nx)!
        defer { fftwf_free(buffer) }
        var out = KSpace(zerosCoils: k.coils, ny: k.ny, nx: nx)
        buffer.withMemoryRebound(to: Complex<Float>.self, capacity: lines * nx) { work in
            k.data.withUnsafeBufferPointer { shiftCopy(from: $0.baseAddress!, to: work, ny: lines, nx: nx, dy: 0, dx: nx / 2, scale: 1) }
            let plan = FFTPlanCache.shared.plan1D(n: nx, howMany: lines, stride: 1, distance: nx, forward: forward)
            buffer.withMemoryRebound(to: fftwf_complex.self, capacity: lines * nx) { fftwf_execute_dft(plan.value, $0, $0) }
            out.data.withUnsafeMutableBufferPointer {
                shiftCopy(from: work, to: $0.baseAddress!, ny: lines, nx: nx, dy: 0, dx: nx - nx / 2, scale: 1 / Float(nx).squareRoot())
            }
        }
        return out
    }
}

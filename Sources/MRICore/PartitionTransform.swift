import CFFTW
import Compute
import Numerics

/// The partitions (kz) of a 3-D slab in one buffer, transformed along kz in place, so that a
/// slab is held once: partitions are stored as they are read, become z planes (each a 2-D
/// k-space `[coils, ky, kx]` of one plane) and, reconstructed, are stored back in place and
/// transformed back. The centred orthonormal convention of the in-plane transform,
/// `fftshift(ifft(ifftshift(·)))` along the slab.
public final class PartitionSlab {
    public let planes: Int, coils: Int, ny: Int, nx: Int
    /// Elements of one partition.
    private let n: Int
    private let buffer: UnsafeMutablePointer<fftwf_complex>

    /// An empty slab of `planes` partitions of `coils × ny × nx`.
    public init(planes: Int, coils: Int, ny: Int, nx: Int) {
        precondition(planes > 0 && coils > 0 && ny > 0 && nx > 0, "a non-empty slab")
        (self.planes, self.coils, self.ny, self.nx, n) = (planes, coils, ny, nx, coils * ny * nx)
        buffer = fftwf_alloc_complex(planes * n)!
    }

    deinit { fftwf_free(buffer) }

    /// Where partition or plane `index` lies: the buffer holds them ifftshifted (position j
    /// holds index (j + planes/2) mod planes), which is also where the transform, in either
    /// direction, leaves index i before the fftshift.
    private func position(_ index: Int) -> UnsafeMutablePointer<Complex<Float>> {
        precondition((0..<planes).contains(index), "partition \(index) of \(planes)")
        let raw = UnsafeMutableRawPointer(buffer + ((index - planes / 2 + planes) % planes) * n)
        return raw.assumingMemoryBound(to: Complex<Float>.self)
    }

    /// Stores partition (or plane) `index`.
    public func store(_ k: KSpace, at index: Int) {
        precondition(k.coils == coils && k.ny == ny && k.nx == nx, "partitions of one shape")
        k.data.withUnsafeBufferPointer { position(index).update(from: $0.baseAddress!, count: n) }
    }

    /// Sets partition (or plane) `index` to zero.
    public func clear(_ index: Int) {
        position(index).update(repeating: .zero, count: n)
    }

    /// Partition (or plane) `index`.
    public func load(_ index: Int) -> KSpace {
        var k = KSpace(zerosCoils: coils, ny: ny, nx: nx)
        k.data.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: position(index), count: n) }
        return k
    }

    /// The transform along the slab: `forward == false` takes partitions to z planes, `true`
    /// z planes back to partitions.
    public func transform(forward: Bool) {
        guard planes > 1 else { return }
        let plan = FFTPlanCache.shared.plan1D(n: planes, howMany: n, stride: n, distance: 1, forward: forward)
        fftwf_execute_dft(plan.value, buffer, buffer)
        let scale = 1 / Float(planes).squareRoot()
        let values = UnsafeSendable(UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: Float.self))
        let total = 2 * planes * n
        Parallel.forEachChunk(total) { range in
            for i in range { values.value[i] *= scale }
        }
    }
}

extension CenteredFFT {
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

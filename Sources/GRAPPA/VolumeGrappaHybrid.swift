import Compute
import MRICore
import Numerics

/// A 3-D k-space in hybrid space (x, kz, ky), laid out for ``VolumeGrappa``: readout
/// position outermost, coils innermost (`((x·nz + z)·ny + y)·coils + c`), so that one
/// (kz, ky) plane is contiguous and a sample's coils are one run.
final class HybridVolume: @unchecked Sendable {
    let coils: Int, partitions: Int, lines: Int, nx: Int
    private(set) var data: [Complex<Float>]

    /// The partitions `read(z)` gives (k-space `[coils, lines, nx]` each), read one at a time
    /// and transformed along the readout.
    init(partitions: Int, coils: Int, lines: Int, nx: Int, read: (Int) throws -> KSpace) throws {
        (self.coils, self.partitions, self.lines, self.nx) = (coils, partitions, lines, nx)
        data = [Complex<Float>](repeating: .zero, count: nx * partitions * lines * coils)
        let (nz, ny, nc) = (partitions, lines, coils)
        for z in 0..<nz {
            let k = try read(z)
            guard k.coils == nc && k.ny == ny && k.nx == nx else {
                throw MRIError(.invalidArgument, "partition \(z) has \(k.coils) coils × \(k.ny) lines × \(k.nx) samples, expected \(nc) × \(ny) × \(nx)")
            }
            let hybrid = CenteredFFT.alongReadout(k, forward: false)
            data.withUnsafeMutableBufferPointer { out in
                let o = UnsafeSendable(out.baseAddress!)
                hybrid.data.withUnsafeBufferPointer { src in
                    let s = UnsafeSendable(UnsafeMutablePointer(mutating: src.baseAddress!))
                    Parallel.forEach(nc) { c in
                        for y in 0..<ny {
                            let row = (c * ny + y) * nx
                            for x in 0..<nx { o.value[((x * nz + z) * ny + y) * nc + c] = s.value[row + x] }
                        }
                    }
                }
            }
        }
    }

    /// Writes the coils of the samples at `(z + Δz, y + Δy)` of plane `x`, offset by offset
    /// (zero outside the volume), into `column[start...]`.
    func gather(x: Int, z: Int, y: Int, offsets: [(z: Int, y: Int)], into column: inout [Complex<Float>], at start: Int) {
        data.withUnsafeBufferPointer { gather(from: $0.baseAddress!, x: x, z: z, y: y, offsets: offsets, into: &column, at: start) }
    }

    /// Writes the coils of sample `(z, y)` of plane `x` into `column[start...]`.
    func copy(x: Int, z: Int, y: Int, into column: inout [Complex<Float>], at start: Int) {
        let from = ((x * partitions + z) * lines + y) * coils
        for c in 0..<coils { column[start + c] = data[from + c] }
    }

    /// Fills the positions `missing` of every plane with `Vᴴ·sources` (``VolumeGrappa/fit``'s weights).
    func apply(_ weights: [Complex<Float>], offsets: [(z: Int, y: Int)], to missing: [(Int, Int)], unknowns n: Int) {
        let (nc, m) = (coils, missing.count)
        let source = self
        data.withUnsafeMutableBufferPointer { out in
            let o = UnsafeSendable(out.baseAddress!)
            Parallel.forEachChunk(nx) { chunk in
                var sources = [Complex<Float>](repeating: .zero, count: n * m), filled = [Complex<Float>](repeating: .zero, count: nc * m)
                for x in chunk {
                    // Sources are lattice samples, never missing ones, so reading while writing other
                    // positions of the same plane is safe.
                    for (r, (z, y)) in missing.enumerated() { source.gather(from: o.value, x: x, z: z, y: y, offsets: offsets, into: &sources, at: r * n) }
                    weights.withUnsafeBufferPointer { w in
                        sources.withUnsafeBufferPointer { s in
                            filled.withUnsafeMutableBufferPointer { f in
                                ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: nc, n: m, k: n, a: w.baseAddress! + x * n * nc, lda: n,
                                                          b: s.baseAddress!, ldb: n, c: f.baseAddress!, ldc: nc, threeMultiplications: true)
                            }
                        }
                    }
                    filled.withUnsafeBufferPointer { f in
                        for (r, (z, y)) in missing.enumerated() {
                            (o.value + ((x * source.partitions + z) * source.lines + y) * nc).update(from: f.baseAddress! + r * nc, count: nc)
                        }
                    }
                }
            }
        }
    }

    /// ``gather(x:z:y:offsets:into:at:)`` from the storage at `base` (``apply`` writes it meanwhile).
    private func gather(from base: UnsafePointer<Complex<Float>>, x: Int, z: Int, y: Int, offsets: [(z: Int, y: Int)],
                        into column: inout [Complex<Float>], at start: Int) {
        for (i, o) in offsets.enumerated() {
            let (sz, sy) = (z + o.z, y + o.y)
            let to = start + i * coils
            guard sz >= 0 && sz < partitions && sy >= 0 && sy < lines else {
                for c in 0..<coils { column[to + c] = .zero }
                continue
            }
            let from = base + ((x * partitions + sz) * lines + sy) * coils
            for c in 0..<coils { column[to + c] = from[c] }
        }
    }

    /// Back to k-space, partition by partition (`[coils, ky, kx]` each), handed to `emit`.
    func emitPartitions(_ emit: (Int, KSpace) throws -> Void) throws {
        let (nz, ny, nc, nx) = (partitions, lines, coils, nx)
        for z in 0..<nz {
            var plane = KSpace(zerosCoils: nc, ny: ny, nx: nx)
            data.withUnsafeBufferPointer { src in
                let s = UnsafeSendable(UnsafeMutablePointer(mutating: src.baseAddress!))
                plane.data.withUnsafeMutableBufferPointer { dst in
                    let d = UnsafeSendable(dst.baseAddress!)
                    Parallel.forEach(nc) { c in
                        for y in 0..<ny {
                            let row = (c * ny + y) * nx
                            for x in 0..<nx { d.value[row + x] = s.value[((x * nz + z) * ny + y) * nc + c] }
                        }
                    }
                }
            }
            try emit(z, CenteredFFT.alongReadout(plane, forward: true))
        }
    }
}

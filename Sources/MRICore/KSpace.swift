import Numerics

/// Multi-coil Cartesian k-space, `[coils, ky, kx]`, contiguous in C order, complex64.
///
/// `ky` (axis 1) is the phase-encode axis that is undersampled; `kx` (axis 2) is the
/// fully sampled readout. The DC sample sits at `(ny/2, nx/2)` (integer division).
public struct KSpace: Sendable, Equatable {
    /// Number of receive coils.
    public let coils: Int
    /// Number of phase-encode lines.
    public let ny: Int
    /// Number of readout samples per line.
    public let nx: Int
    /// Samples, index `(c * ny + y) * nx + x`.
    public var data: [Complex<Float>]

    /// Creates k-space from its samples; `data.count` must be `coils * ny * nx`.
    public init(coils: Int, ny: Int, nx: Int, data: [Complex<Float>]) throws {
        guard coils > 0, ny > 0, nx > 0 else {
            throw MRIError(.invalidArgument, "k-space dimensions must be positive, found [\(coils), \(ny), \(nx)]")
        }
        guard data.count == coils * ny * nx else {
            throw MRIError(.invalidArgument,
                           "k-space of shape [\(coils), \(ny), \(nx)] needs \(coils * ny * nx) samples, found \(data.count)")
        }
        self.coils = coils
        self.ny = ny
        self.nx = nx
        self.data = data
    }

    /// All-zero k-space of the given shape.
    public init(zerosCoils coils: Int, ny: Int, nx: Int) {
        precondition(coils > 0 && ny > 0 && nx > 0, "k-space dimensions must be positive")
        self.coils = coils
        self.ny = ny
        self.nx = nx
        self.data = [Complex<Float>](repeating: .zero, count: coils * ny * nx)
    }

    /// `[coils, ny, nx]`.
    public var shape: [Int] { [coils, ny, nx] }

    /// Sample at coil `c`, line `y`, readout position `x`.
    @inlinable
    public subscript(c: Int, y: Int, x: Int) -> Complex<Float> {
        get { data[(c * ny + y) * nx + x] }
        set { data[(c * ny + y) * nx + x] = newValue }
    }

    /// The first sample that is NaN or infinite, as `(coil, ky, kx)`, or nil.
    public func firstNonFinite() -> (coil: Int, ky: Int, kx: Int)? {
        data.withUnsafeBufferPointer { buf -> (Int, Int, Int)? in
            // x·0 is 0 for finite x and NaN otherwise: eight lanes at a time find whether a
            // block holds any non-finite value; only such a block is searched value by value.
            let floats = UnsafeRawPointer(buf.baseAddress!)
            let count = 2 * buf.count, block = 4096
            for start in stride(from: 0, to: count, by: block) {
                let end = min(start + block, count)
                var probe = SIMD8<Float>()
                var i = start
                while i + 8 <= end {
                    probe += floats.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * 0
                    i += 8
                }
                var tail: Float = 0
                for j in i..<end { tail += floats.load(fromByteOffset: 4 * j, as: Float.self) * 0 }
                guard probe.sum() + tail != 0 else { continue }
                for j in (start / 2)..<((end + 1) / 2) where !(buf[j].real.isFinite && buf[j].imaginary.isFinite) {
                    return (j / (ny * nx), (j / nx) % ny, j % nx)
                }
            }
            return nil
        }
    }

    /// Throws a clear error naming `source` if any sample is NaN or infinite.
    public func validateFinite(source: String) throws {
        if let (c, y, x) = firstNonFinite() {
            throw MRIError(.format, "\(source): k-space contains NaN or Inf (first at coil \(c), ky \(y), kx \(x))")
        }
    }

    /// A copy with every line not in `mask` set to zero (zero-filled acquisition).
    public func masked(by mask: SamplingMask) -> KSpace {
        precondition(mask.ny == ny, "mask length must equal ny")
        var out = self
        out.data.withUnsafeMutableBufferPointer { buf in
            for c in 0..<coils {
                for y in 0..<ny where !mask.acquired[y] {
                    let base = (c * ny + y) * nx
                    for x in 0..<nx { buf[base + x] = .zero }
                }
            }
        }
        return out
    }

    /// Copies `source`'s samples of `lines` (at readout positions `readout`, by default all)
    /// into this k-space, of the same shape: measured lines put back after a reconstruction.
    public mutating func replace(lines: some Sequence<Int>, readout: Range<Int>? = nil, from source: KSpace) {
        precondition(coils == source.coils && ny == source.ny && nx == source.nx, "shapes must agree")
        let (coils, ny, nx, readout) = (coils, ny, nx, readout ?? 0..<nx)
        source.data.withUnsafeBufferPointer { src in
            data.withUnsafeMutableBufferPointer { dst in
                for c in 0..<coils {
                    for y in lines {
                        let start = (c * ny + y) * nx + readout.lowerBound
                        (dst.baseAddress! + start).update(from: src.baseAddress! + start, count: readout.count)
                    }
                }
            }
        }
    }

    /// The samples of lines `lines` and readout positions `readout`, as a k-space of their own.
    public func window(lines: Range<Int>, readout: Range<Int>) -> KSpace {
        precondition(lines.clamped(to: 0..<ny) == lines && readout.clamped(to: 0..<nx) == readout, "window inside the k-space")
        var out = KSpace(zerosCoils: coils, ny: lines.count, nx: readout.count)
        for c in 0..<coils {
            for (row, y) in lines.enumerated() {
                let from = (c * ny + y) * nx + readout.lowerBound, to = (c * lines.count + row) * readout.count
                out.data.replaceSubrange(to..<(to + readout.count), with: data[from..<(from + readout.count)])
            }
        }
        return out
    }

    /// This k-space placed at `lines` × `readout` of a k-space of `ny × nx` that is zero
    /// elsewhere: undoes ``window(lines:readout:)`` where the window held data.
    public func embedded(ny fullNy: Int, nx fullNx: Int, lines: Range<Int>, readout: Range<Int>) -> KSpace {
        precondition(lines.count == ny && readout.count == nx && lines.upperBound <= fullNy && readout.upperBound <= fullNx,
                     "the k-space fills the window")
        var out = KSpace(zerosCoils: coils, ny: fullNy, nx: fullNx)
        for c in 0..<coils {
            for (row, y) in lines.enumerated() {
                let to = (c * fullNy + y) * fullNx + readout.lowerBound, from = (c * ny + row) * nx
                out.data.replaceSubrange(to..<(to + nx), with: data[from..<(from + nx)])
            }
        }
        return out
    }

    /// Sum over lines of `|k|²` per coil (a quick look at the coil array).
    public func coilEnergies() -> [Double] {
        data.withUnsafeBufferPointer { buf in
            (0..<coils).map { c in
                var e = 0.0
                for i in (c * ny * nx)..<((c + 1) * ny * nx) {
                    e += Double(buf[i].real * buf[i].real + buf[i].imaginary * buf[i].imaginary)
                }
                return e
            }
        }
    }
}

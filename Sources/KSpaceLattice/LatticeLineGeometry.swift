import Compute
import Compute
import MRICore
import NeuralNetwork
import Numerics

/// The data layout shared by RAKI and the meta-learner's learner CNN: complex k-space as
/// `2·coils` real channels (real parts, then imaginary parts), sources on the acquired
/// lattice lines, targets the `R − 1` lines below each base line.
public enum LatticeLineGeometry {
    /// Readout samples consumed on each side by a 2 × 5 then 2 × 3 network (2 + 1).
    public static let readoutMargin = 3

    /// The acquisition's ACS block and its peak magnitude in `k`, after checking that the
    /// block and the readout are large enough for a network reading the lattice lines
    /// −1, 0, +1 and ±`readoutMargin` samples; `method` names the reconstruction in errors.
    public static func calibrationRegion(_ k: KSpace, _ acquisition: Acquisition,
                                         method: String) throws -> (acs: Range<Int>, peak: Float) {
        let acs = acquisition.autoCalibrationLines, r = acquisition.acceleration
        guard acs.count >= 2 * r + 1 else {
            throw MRIError(.invalidArgument,
                           "ACS of \(acs.count) lines is too small for \(method) at R=\(r): at least \(2 * r + 1) lines are needed",
                           setting: .acsLines)
        }
        guard k.nx > 2 * readoutMargin else {
            throw MRIError(.invalidArgument, "readout of \(k.nx) samples is too short for \(method) (at least \(2 * readoutMargin + 1))")
        }
        var peak: Float = 0
        for c in 0..<k.coils { for y in acs { for x in 0..<k.nx { peak = max(peak, k[c, y, x].length) } } }
        guard peak > 0 else { throw MRIError(.format, "the ACS block is all zeros") }
        return (acs, peak)
    }

    /// ACS pairs. Input: the ACS block (readout samples `columns`, all by default) as 2C
    /// channels (a network reads it with row dilation R); target: for each base row y0
    /// (sources y0, y0 + R, y0 + 2R) the lines y0 + R + m, m = 1…R−1, readout shifted by
    /// the margin. `target(c, y, x, m)` gives the value to learn at coil `c`, line `y`
    /// (distance `m` below its base line), readout `x`, when it differs from `k` (a residual, say).
    public static func acsPairs(_ k: KSpace, acs: Range<Int>, acceleration r: Int, scale: Float,
                                columns: Range<Int>? = nil,
                                target value: ((Int, Int, Int, Int) -> Complex<Float>)? = nil) -> (FeatureMap, FeatureMap) {
        let cols = columns ?? 0..<k.nx
        let coils = k.coils, nx = cols.count, na = acs.count, margin = readoutMargin, x0 = cols.lowerBound
        var input = FeatureMap(channels: 2 * coils, height: na, width: nx)
        let height = na - 2 * r, width = nx - 2 * margin
        var target = FeatureMap(channels: 2 * coils * (r - 1), height: height, width: nx, validWidth: width)
        // Pointer loops: these run for every reconstruction (checked subscripts made them ~4 ms).
        k.data.withUnsafeBufferPointer { kd in
            input.data.withUnsafeMutableBufferPointer { o in
                for c in 0..<coils {
                    for (row, y) in acs.enumerated() {
                        let from = kd.baseAddress! + (c * k.ny + y) * k.nx + x0
                        let (re, im) = (o.baseAddress! + (c * na + row) * nx, o.baseAddress! + ((coils + c) * na + row) * nx)
                        for x in 0..<nx {
                            re[x] = from[x].real * scale
                            im[x] = from[x].imaginary * scale
                        }
                    }
                }
            }
            target.data.withUnsafeMutableBufferPointer { t in
                for m in 1..<r {
                    for c in 0..<coils {
                        for row in 0..<height {
                            let y = acs.lowerBound + row + r + m
                            let from = kd.baseAddress! + (c * k.ny + y) * k.nx + x0 + margin
                            let re = t.baseAddress! + (((m - 1) * 2 * coils + c) * height + row) * nx
                            let im = t.baseAddress! + (((m - 1) * 2 * coils + coils + c) * height + row) * nx
                            for x in 0..<width {
                                let z = value?(c, y, x0 + x + margin, m) ?? from[x]
                                re[x] = z.real * scale
                                im[x] = z.imaginary * scale
                            }
                        }
                    }
                }
            }
        }
        return (input, target)
    }

    /// The acquired lattice lines stacked (so that a network's row dilation becomes 1),
    /// zero-padded by one lattice line above and below and by the readout margin on each
    /// side, so that lines and samples near the edges are estimated too. Output row `b`
    /// of a network on this input estimates lines `s + R·(bases.lowerBound + b) + m`.
    /// `only` limits the input to the rows that estimate those bases (a sub-range of the
    /// lattice's ``MRICore/UndersamplingLattice/baseIndices(ny:)``).
    public static func latticeInput(_ k: KSpace, lattice: UndersamplingLattice, scale: Float, only: Range<Int>? = nil)
        -> (input: FeatureMap, bases: Range<Int>) {
        let r = lattice.acceleration, s = lattice.offset, ny = k.ny, nx = k.nx, coils = k.coils
        let bases = only ?? lattice.baseIndices(ny: ny)
        var input = FeatureMap(channels: 2 * coils, height: bases.count + 2, width: nx + 2 * readoutMargin)
        let (height, width) = (input.height, input.width)
        input.data.withUnsafeMutableBufferPointer { out in
            k.data.withUnsafeBufferPointer { kd in
                let (o, src) = (UnsafeSendable(out.baseAddress!), UnsafeSendable(kd.baseAddress!))
                // One coil per task: each writes its own two channels.
                Parallel.forEach(coils) { c in
                    for row in 0..<height {
                        let y = s + r * (bases.lowerBound - 1 + row)
                        guard y >= 0, y < ny else { continue }
                        let from = src.value + (c * ny + y) * nx
                        let re = o.value + (c * height + row) * width + readoutMargin
                        let im = o.value + ((coils + c) * height + row) * width + readoutMargin
                        for x in 0..<nx {
                            re[x] = from[x].real * scale
                            im[x] = from[x].imaginary * scale
                        }
                    }
                }
            }
        }
        return (input, bases)
    }

    /// Fills the lines of `k` that `acquisition` does not keep with `network` (a RAKI network or the adapted
    /// learner) run on the lattice lines, scaled by `scale`; `add` adds the estimates to what
    /// `k` holds there (a linear branch's). With `subtractZeroResponse` the estimates are
    /// `f(x) − f(0)` (``NeuralNetwork/ConvNet/zeroResponse()``: the biases' constant answer to
    /// zero data would otherwise fill outer k-space's missing lines). The network runs only
    /// on the bases that estimate a missing line (``basesToEstimate(lattice:mask:)``).
    public static func fillMissingLines(_ k: inout KSpace, with network: ConvNet, acquisition: Acquisition,
                                        scale: Float, add: Bool = false, subtractZeroResponse: Bool = true) {
        let offsets = subtractZeroResponse ? network.zeroResponse() : nil
        let (lattice, mask) = (acquisition.lattice, acquisition.keptLines)
        for run in basesToEstimate(lattice: lattice, mask: mask) {
            // Lattice lines are acquired, so the lines filled by an earlier run never feed a later one.
            let (input, bases) = latticeInput(k, lattice: lattice, scale: scale, only: run)
            let output = network.predict(input, dilation: 1)
            fillMissingLines(&k, from: output, lattice: lattice, bases: bases, mask: mask, scale: scale, add: add,
                             offsets: offsets)
        }
    }

    /// The runs of base indices that estimate at least one line `mask` lacks: applying a
    /// network only there skips the fully acquired ACS block (~11 % of a 288-line scan's
    /// bases at R = 4 with 32 ACS lines).
    static func basesToEstimate(lattice: UndersamplingLattice, mask: SamplingMask) -> [Range<Int>] {
        let all = lattice.baseIndices(ny: mask.ny)
        var needed = [Bool](repeating: false, count: all.count)
        forEachEstimatedLine(lattice: lattice, bases: all, ny: mask.ny) { _, b, y in
            if !mask.acquired[y] { needed[b] = true }
        }
        var runs: [Range<Int>] = []
        var start: Int?
        for b in 0...all.count {
            let inside = b < all.count && needed[b]
            if inside, start == nil { start = b }
            if !inside, let first = start {
                runs.append((all.lowerBound + first)..<(all.lowerBound + b))
                start = nil
            }
        }
        return runs
    }

    /// Calls `body(m, b, y)` for every line `y` estimated by output row `b` at distance
    /// `m` that lies inside the matrix.
    public static func forEachEstimatedLine(lattice: UndersamplingLattice, bases: Range<Int>, ny: Int,
                                            _ body: (_ m: Int, _ b: Int, _ y: Int) -> Void) {
        let r = lattice.acceleration, s = lattice.offset
        for m in 1..<r {
            for b in 0..<bases.count {
                let y = s + r * (bases.lowerBound + b) + m
                guard y >= 0, y < ny else { continue }
                body(m, b, y)
            }
        }
    }

    /// Writes a network's output (from ``latticeInput(_:lattice:scale:)``) into the lines
    /// of `k` that `mask` does not hold, less `offsets` (one per output channel, e.g. the
    /// network's ``NeuralNetwork/ConvNet/zeroResponse()``), undoing `scale`; acquired lines
    /// stay as measured. `add` adds the output to what `k` holds there instead of replacing it.
    public static func fillMissingLines(_ k: inout KSpace, from output: FeatureMap, lattice: UndersamplingLattice,
                                        bases: Range<Int>, mask: SamplingMask, scale: Float, add: Bool = false,
                                        offsets: [Float]? = nil) {
        let coils = k.coils, nx = k.nx, ny = k.ny, inverse = 1 / scale
        let offsets = offsets ?? [Float](repeating: 0, count: output.channels)
        precondition(offsets.count == output.channels, "one offset per output channel")
        var lines: [(m: Int, b: Int, y: Int)] = []
        forEachEstimatedLine(lattice: lattice, bases: bases, ny: ny) { m, b, y in
            if !mask.acquired[y] { lines.append((m, b, y)) }
        }
        let (height, width) = (output.height, output.width)
        k.data.withUnsafeMutableBufferPointer { kd in
            output.data.withUnsafeBufferPointer { od in
                let (dst, o) = (UnsafeSendable(kd.baseAddress!), UnsafeSendable(od.baseAddress!))
                // One coil per task: each writes its own coil's lines.
                Parallel.forEach(coils) { c in
                    for (m, b, y) in lines {
                        let (reChannel, imChannel) = ((m - 1) * 2 * coils + c, (m - 1) * 2 * coils + coils + c)
                        let re = o.value + (reChannel * height + b) * width
                        let im = o.value + (imChannel * height + b) * width
                        let (reOffset, imOffset) = (offsets[reChannel], offsets[imChannel])
                        let line = dst.value + (c * ny + y) * nx
                        for x in 0..<nx {
                            let z = Complex((re[x] - reOffset) * inverse, (im[x] - imOffset) * inverse)
                            line[x] = add ? line[x] + z : z
                        }
                    }
                }
            }
        }
    }
}

/// The lattice a 3-D acquisition accelerated along both phase-encoding axes samples in the
/// (kz, ky) plane: every `Rz`-th partition from `partitionOffset`, and in the `m`-th of them
/// every `Ry`-th line from `lineOffset + m·shift` (`shift` ≠ 0: CAIPIRINHA, the lattice
/// sheared so that aliased voxels lie apart along both axes).
public struct VolumeLattice: Sendable, Equatable, CustomStringConvertible {
    /// `Ry`: the acceleration along ky.
    public let lineAcceleration: Int
    /// `Rz`: the acceleration along kz.
    public let partitionAcceleration: Int
    /// Lines the sampled line moves by from one sampled partition to the next, in `0..<Ry`.
    public let shift: Int
    /// A sampled partition.
    public let partitionOffset: Int
    /// The sampled line of ``partitionOffset``, in `0..<Ry`.
    public let lineOffset: Int

    public init(lineAcceleration: Int, partitionAcceleration: Int, shift: Int = 0, partitionOffset: Int = 0, lineOffset: Int = 0) {
        precondition(lineAcceleration >= 1 && partitionAcceleration >= 1, "accelerations are at least 1")
        self.lineAcceleration = lineAcceleration
        self.partitionAcceleration = partitionAcceleration
        self.shift = ((shift % lineAcceleration) + lineAcceleration) % lineAcceleration
        self.partitionOffset = partitionOffset
        self.lineOffset = ((lineOffset % lineAcceleration) + lineAcceleration) % lineAcceleration
    }

    /// The acceleration `Ry · Rz`.
    public var acceleration: Int { lineAcceleration * partitionAcceleration }

    /// Where `(z, y)` sits in the lattice's cell: `(0, 0)` for a sampled position, else its
    /// offset from the sampled position of its cell — the same for every position the same
    /// kernel fills.
    public func cellOffset(z: Int, y: Int) -> (z: Int, y: Int) {
        let rz = partitionAcceleration, ry = lineAcceleration
        let dz = z - partitionOffset
        let step = dz >= 0 ? dz / rz : -((-dz + rz - 1) / rz)  // floor division
        let line = y - lineOffset - shift * step
        return (dz - step * rz, ((line % ry) + ry) % ry)
    }

    /// Whether the lattice samples `(z, y)`.
    public func contains(z: Int, y: Int) -> Bool { cellOffset(z: z, y: y) == (0, 0) }

    public var description: String {
        "\(lineAcceleration) × \(partitionAcceleration) (ky × kz)" + (shift == 0 ? "" : ", CAIPIRINHA shift \(shift)")
    }
}

/// What was measured of a 3-D acquisition accelerated along ky and kz, checked once: the
/// (kz, ky) sampling, its ``VolumeLattice`` and its fully sampled calibration box.
public struct VolumeAcquisition: Sendable, Equatable {
    /// Partitions (kz).
    public let partitions: Int
    /// Lines (ky).
    public let lines: Int
    /// `acquired[z · lines + y]`: whether line `y` of partition `z` was measured.
    public let acquired: [Bool]
    /// The undersampling lattice.
    public let lattice: VolumeLattice
    /// The calibration box: every line of these partitions × lines was measured.
    public let calibrationPartitions: Range<Int>, calibrationLines: Range<Int>

    /// Checks that `acquired` (`[partitions × lines]`, partition-major) is a lattice plus one
    /// fully sampled box around the centre `(partitions/2, lines/2)`.
    public init(acquired: [Bool], partitions: Int, lines: Int) throws {
        guard partitions >= 1, lines >= 1, acquired.count == partitions * lines else {
            throw MRIError(.invalidArgument, "the (kz, ky) sampling has \(acquired.count) entries for \(partitions) partitions × \(lines) lines")
        }
        let at = { (z: Int, y: Int) in acquired[z * lines + y] }
        guard at(partitions / 2, lines / 2) else {
            throw MRIError(.invalidArgument, "the k-space centre (partition \(partitions / 2), line \(lines / 2)) was not acquired: no calibration box")
        }
        (calibrationPartitions, calibrationLines) = Self.largestBox(at, partitions: partitions, lines: lines)
        let (box, boxLines) = (calibrationPartitions, calibrationLines)
        // The lattice from the samples outside the box.
        var rows: [Int] = [], lineStep = 0, rowOffsets: [Int: Int] = [:]
        for z in 0..<partitions {
            let outside = (0..<lines).filter { at(z, $0) && !(box.contains(z) && boxLines.contains($0)) }
            guard let first = outside.first else { continue }
            rows.append(z)
            rowOffsets[z] = first
            for y in outside.dropFirst() { lineStep = Self.gcd(lineStep, y - first) }
        }
        guard let firstRow = rows.first else {
            throw MRIError(.invalidArgument, "nothing was acquired outside the calibration box: there is no lattice to fill from")
        }
        let partitionStep = rows.dropFirst().reduce(0) { Self.gcd($0, $1 - firstRow) }
        let rz = partitionStep == 0 ? 1 : partitionStep, ry = lineStep == 0 ? 1 : lineStep
        guard rz * ry >= 2 else { throw MRIError(.invalidArgument, "the (kz, ky) sampling is fully sampled: there are no missing lines to reconstruct") }
        let shift = rz > 1 ? (rowOffsets[firstRow + rz].map { $0 - rowOffsets[firstRow]! } ?? 0) : 0
        lattice = VolumeLattice(lineAcceleration: ry, partitionAcceleration: rz, shift: shift,
                                partitionOffset: firstRow % rz, lineOffset: rowOffsets[firstRow]! - shift * (firstRow / rz))
        for z in 0..<partitions {
            for y in 0..<lines where at(z, y) != lattice.contains(z: z, y: y) && !(box.contains(z) && boxLines.contains(y)) {
                throw MRIError(.invalidArgument, "the (kz, ky) sampling is not a lattice (\(lattice)) plus a calibration box: partition \(z), line \(y) is \(at(z, y) ? "acquired but off" : "on the lattice but not acquired")")
            }
        }
        (self.acquired, self.partitions, self.lines) = (acquired, partitions, lines)
    }

    /// Checks the sampling given as the acquired lines of each partition.
    public init(partitionLines: [[Bool]]) throws {
        try self.init(acquired: Array(partitionLines.joined()), partitions: partitionLines.count, lines: partitionLines.first?.count ?? 0)
    }

    /// The sampling of the command-line contract, in both phase-encoding directions: the
    /// lattice through `(partitions/2, lines/2)` (shifted by `shift` lines per sampled
    /// partition) plus the centred box of `calibration` partitions × lines.
    public static func uniform(partitions: Int, lines: Int, lineAcceleration: Int, partitionAcceleration: Int, shift: Int = 0,
                               calibration: (partitions: Int, lines: Int)) throws -> VolumeAcquisition {
        let lattice = VolumeLattice(lineAcceleration: lineAcceleration, partitionAcceleration: partitionAcceleration, shift: shift,
                                    partitionOffset: (partitions / 2) % partitionAcceleration,
                                    lineOffset: lines / 2 - shift * ((partitions / 2) / partitionAcceleration))
        let z0 = partitions / 2 - calibration.partitions / 2, y0 = lines / 2 - calibration.lines / 2
        let boxZ = z0..<(z0 + calibration.partitions), boxY = y0..<(y0 + calibration.lines)
        var acquired = [Bool](repeating: false, count: partitions * lines)
        for z in 0..<partitions {
            for y in 0..<lines { acquired[z * lines + y] = lattice.contains(z: z, y: y) || boxZ.contains(z) && boxY.contains(y) }
        }
        return try VolumeAcquisition(acquired: acquired, partitions: partitions, lines: lines)
    }

    /// Whether line `y` of partition `z` was measured.
    public func isAcquired(z: Int, y: Int) -> Bool { acquired[z * lines + y] }

    /// Copies the acquired lines of `measured` into `filled` (partitions of one shape).
    public func restoreAcquired(of measured: [KSpace], into filled: inout [KSpace]) {
        for z in 0..<partitions { restoreAcquired(partition: z, of: measured[z], into: &filled[z]) }
    }

    /// Copies the acquired lines of partition `z`, `measured`, into `filled` (of one shape).
    public func restoreAcquired(partition z: Int, of measured: KSpace, into filled: inout KSpace) {
        filled.replace(lines: (0..<lines).filter { isAcquired(z: z, y: $0) }, from: measured)
    }

    /// The fully sampled box around the centre of largest area (ties: the first found).
    static func largestBox(_ at: (Int, Int) -> Bool, partitions: Int, lines: Int) -> (Range<Int>, Range<Int>) {
        let cz = partitions / 2, cy = lines / 2
        // The run of acquired lines through the centre line of each partition.
        let runs: [Range<Int>] = (0..<partitions).map { z in
            guard at(z, cy) else { return cy..<cy }
            var lo = cy, hi = cy + 1
            while lo > 0 && at(z, lo - 1) { lo -= 1 }
            while hi < lines && at(z, hi) { hi += 1 }
            return lo..<hi
        }
        var best = (cz..<(cz + 1), runs[cz]), bestArea = runs[cz].count
        var lo = cz
        while lo >= 0 && !runs[lo].isEmpty {
            var common = runs[lo]
            for z in lo...cz { common = common.clamped(to: runs[z]) }
            var hi = cz + 1
            while true {
                if common.count * (hi - lo) > bestArea { (best, bestArea) = ((lo..<hi, common), common.count * (hi - lo)) }
                guard hi < partitions, !runs[hi].isEmpty else { break }
                common = common.clamped(to: runs[hi])
                hi += 1
            }
            lo -= 1
        }
        return best
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
}

/// A 1-D phase-encode sampling mask: `acquired[y]` says whether line `y` was measured.
///
/// Masks are always explicit. Real data can hold samples that are exactly zero, so a
/// mask is never inferred from `k != 0`.
public struct SamplingMask: Sendable, Equatable {
    /// One flag per `ky` line.
    public let acquired: [Bool]

    /// Creates a mask from per-line flags.
    public init(acquired: [Bool]) {
        self.acquired = acquired
    }

    /// Number of lines the mask covers.
    public var ny: Int { acquired.count }

    /// Number of acquired lines.
    public var acquiredCount: Int { acquired.lazy.filter { $0 }.count }

    /// The uniform mask of the CLI contract: lines with `(ky − ny/2) mod R == 0`,
    /// plus the centred ACS block `[ny/2 − N/2, ny/2 − N/2 + N)` (integer division).
    public static func uniform(ny: Int, acceleration: Int, acsLines: Int) throws -> SamplingMask {
        try validateUniform(ny: ny, acceleration: acceleration, acsLines: acsLines)
        let centre = ny / 2
        let acs = (centre - acsLines / 2)..<(centre - acsLines / 2 + acsLines)
        let lattice = UndersamplingLattice(acceleration: acceleration, offset: centre)
        let flags = (0..<ny).map { y in lattice.contains(y) || acs.contains(y) }
        return SamplingMask(acquired: flags)
    }

    /// Checks `R` and the ACS size against `ny`.
    public static func validateUniform(ny: Int, acceleration: Int, acsLines: Int) throws {
        guard acceleration >= 2 else {
            throw MRIError(.invalidArgument, "acceleration must be at least 2, found \(acceleration)", setting: .acceleration)
        }
        guard acceleration <= ny / 2 else {
            throw MRIError(.invalidArgument,
                           "acceleration \(acceleration) is too large for \(ny) phase-encode lines (at most \(ny / 2))",
                           setting: .acceleration)
        }
        guard acsLines >= 1 else {
            throw MRIError(.invalidArgument, "the ACS block must have at least 1 line, found \(acsLines)", setting: .acsLines)
        }
        guard acsLines <= ny else {
            throw MRIError(.invalidArgument, "an ACS block of \(acsLines) lines is larger than the \(ny) phase-encode lines",
                           setting: .acsLines)
        }
    }

    /// The longest run of consecutive acquired lines (ties: the one nearest the centre):
    /// the auto-calibration block. Nil when no line is acquired.
    public func autoCalibrationRegion() -> Range<Int>? {
        var best: Range<Int>?
        var y = 0
        while y < ny {
            guard acquired[y] else { y += 1; continue }
            var end = y
            while end < ny && acquired[end] { end += 1 }
            let run = y..<end
            if let b = best {
                let closer = abs((run.lowerBound + run.upperBound) / 2 - ny / 2)
                    < abs((b.lowerBound + b.upperBound) / 2 - ny / 2)
                if run.count > b.count || (run.count == b.count && closer) { best = run }
            } else {
                best = run
            }
            y = end
        }
        return best
    }

    /// The uniform undersampling lattice of this mask: acceleration `R` and offset `s`
    /// such that every line `y ≡ s (mod R)` of the ``acquiredRegion(acceleration:)`` is
    /// acquired and every other acquired line lies in the ACS block. Throws, naming the
    /// offending line, if the mask is not of that form. A fully sampled mask has `R = 1`.
    public func lattice() throws -> UndersamplingLattice {
        guard let acs = autoCalibrationRegion() else {
            throw MRIError(.format, "mask acquires no line")
        }
        if acs.count == ny { return UndersamplingLattice(acceleration: 1, offset: 0) }
        let outside = (0..<ny).filter { acquired[$0] && !acs.contains($0) }
        guard outside.count >= 1 else {
            throw MRIError(.format,
                           "mask is not uniform: only the block of lines \(acs.lowerBound)..<\(acs.upperBound) is acquired")
        }
        // Consecutive lines outside the block, not straddling it, are R apart; the most
        // common gap and residue win, so that a stray line is reported, not obeyed.
        let gaps = zip(outside, outside.dropFirst())
            .filter { a, b in !(a < acs.lowerBound && b >= acs.upperBound) }
            .map { a, b in b - a }
        guard let r = Self.mostCommon(gaps) else {
            throw MRIError(.format,
                           "mask is not uniform: too few acquired lines outside the ACS block \(acs.lowerBound)..<\(acs.upperBound) to tell the acceleration")
        }
        let s = Self.mostCommon(outside.map { $0 % r })!
        let lattice = UndersamplingLattice(acceleration: r, offset: s)
        for y in acquiredRegion(acceleration: r) {
            let onLattice = lattice.contains(y)
            if onLattice && !acquired[y] {
                throw MRIError(.format,
                               "mask is not uniform: line \(y) lies on the R=\(r) lattice (offset \(s)) but is not acquired")
            }
            if !onLattice && acquired[y] && !acs.contains(y) {
                throw MRIError(.format,
                               "mask is not uniform: line \(y) is acquired but lies neither on the R=\(r) lattice nor in the ACS block \(acs.lowerBound)..<\(acs.upperBound)")
            }
        }
        return lattice
    }

    /// The lines an acquisition of acceleration `r` covers: all of them, unless a run of at
    /// least `r` unacquired lines starts at one edge — a partial-Fourier acquisition, whose
    /// region then starts (or ends) at its first (last) acquired line. Lines outside were
    /// never acquired and are not estimated.
    public func acquiredRegion(acceleration r: Int) -> Range<Int> {
        guard let first = acquired.firstIndex(of: true), let last = acquired.lastIndex(of: true) else { return 0..<ny }
        return (first >= r ? first : 0)..<(ny - 1 - last >= r ? last + 1 : ny)
    }

    /// What the mask looks like, in a few words ("uniform R=4 (offset 0), ACS block of 32
    /// lines [128, 160)", "fully sampled", "not a uniform pattern").
    public var summary: String {
        guard let acs = autoCalibrationRegion() else { return "no line acquired" }
        guard let lattice = try? lattice() else { return "not a uniform pattern" }
        if lattice.acceleration == 1 { return "fully sampled" }
        let region = acquiredRegion(acceleration: lattice.acceleration)
        let partial = region.count < ny ? ", partial Fourier: lines [\(region.lowerBound), \(region.upperBound)) of \(ny) acquired" : ""
        return "uniform R=\(lattice.acceleration) (offset \(lattice.offset)), ACS block of \(acs.count) lines [\(acs.lowerBound), \(acs.upperBound))" + partial
    }

    /// The most frequent value (the largest among equally frequent ones), or nil if empty.
    private static func mostCommon(_ values: [Int]) -> Int? {
        let counts = Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +)
        return counts.max { a, b in (a.value, a.key) < (b.value, b.key) }?.key
    }
}

/// Uniform undersampling: lines `y ≡ offset (mod acceleration)` are acquired.
public struct UndersamplingLattice: Sendable, Equatable {
    /// The acceleration factor `R`.
    public let acceleration: Int
    /// The offset `s` in `0..<R`.
    public let offset: Int

    /// Creates a lattice; `offset` is reduced modulo `acceleration`.
    public init(acceleration: Int, offset: Int) {
        precondition(acceleration >= 1, "acceleration must be positive")
        self.acceleration = acceleration
        self.offset = ((offset % acceleration) + acceleration) % acceleration
    }

    /// Whether line `y` lies on the lattice.
    public func contains(_ y: Int) -> Bool {
        ((y - offset) % acceleration + acceleration) % acceleration == 0
    }

    /// Lattice indices `l` of the lines `offset + acceleration·l` that have a missing line
    /// just after them inside `0..<ny`: the bases from which the `R − 1` lines after each
    /// acquired line are estimated. Index −1 (a line before the matrix) is included when
    /// the lines before the first acquired one are missing.
    public func baseIndices(ny: Int) -> Range<Int> {
        let first = offset == 0 ? 0 : -1
        // Last base b = offset + R·l with b + 1 ≤ ny − 1 (floor division).
        let a = ny - 2 - offset
        let last = a >= 0 ? a / acceleration : -((-a + acceleration - 1) / acceleration)
        return first..<max(first, last + 1)
    }
}

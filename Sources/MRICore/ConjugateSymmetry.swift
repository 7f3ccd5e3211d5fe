import Numerics

/// The conjugate symmetry of k-space, for virtual conjugate coils (Blaimer et al., MRM 2009).
///
/// The k-space of a real-valued object is conjugate symmetric, `k(−ky, −kx) = conj(k(ky, kx))`.
/// An object with a smooth phase is not, but each coil's reflected conjugate
/// `conj(k_c(−ky, −kx))` is the k-space of the coil image's conjugate: a further receiver whose
/// sensitivity is `conj(S_c · e^{2iφ})`, correlated with the physical ones only through the
/// phase. A sample at index `y` of an axis of `n`, centred at `n/2` (integer division, the
/// convention of every k-space here), reflects onto `2·(n/2) − y`: for an even `n` the first
/// index reflects outside the matrix, and the reflected sample counts as zero there.
public enum ConjugateSymmetry {
    /// The index of `−k` for index `i` of an axis of `n` samples; nil outside the axis.
    @inlinable public static func mirror(_ i: Int, count n: Int) -> Int? {
        let m = 2 * (n / 2) - i
        return m >= 0 && m < n ? m : nil
    }
}

extension KSpace {
    /// This k-space with `coils` more coils: coil `coils + c` holds `conj(k_c(−ky, −kx))`
    /// (zero where `−k` lies outside the matrix). Only lines `lines` (all if nil) are
    /// reflected, the others are zero: what is not measured is not read.
    public func appendingConjugateReflection(lines: [Bool]? = nil) -> KSpace {
        let (coils, ny, nx) = (coils, ny, nx)
        let half = coils * ny * nx
        // Every sample is written below: no zero-filling first (twice the data, on every call).
        let values = [Complex<Float>](unsafeUninitializedCapacity: 2 * half) { out, count in
            data.withUnsafeBufferPointer { src in
                out.baseAddress!.initialize(from: src.baseAddress!, count: half)
                let first = nx % 2 == 0 ? 1 : 0  // the first sample of an even readout reflects outside
                for c in 0..<coils {
                    for y in 0..<ny {
                        let row = out.baseAddress! + half + (c * ny + y) * nx
                        guard let from = ConjugateSymmetry.mirror(y, count: ny), lines?[from] ?? true else {
                            row.initialize(repeating: .zero, count: nx)
                            continue
                        }
                        let source = src.baseAddress! + (c * ny + from) * nx
                        if first == 1 { row.initialize(to: .zero) }
                        for x in first..<nx { (row + x).initialize(to: source[2 * (nx / 2) - x].conjugate) }
                    }
                }
            }
            count = 2 * half
        }
        return try! KSpace(coils: 2 * coils, ny: ny, nx: nx, data: values)
    }
}

extension Acquisition {
    /// Why conjugate-reflected coils cannot join this acquisition's coils, or nil when they
    /// can: k-space must be measured on both sides of its centre (not a partial-Fourier
    /// acquisition), and the lattice must reflect onto itself, so that every reflected lattice
    /// line is a measured one.
    public var conjugateSymmetryObstacle: String? {
        if !measuredOnBothSides {
            return "k-space is measured on one side of its centre only (partial Fourier)"
        }
        // Line s + R·l reflects onto 2·(ny/2) − s − R·l: a lattice line iff R divides 2·(ny/2 − s).
        if (2 * (ny / 2 - lattice.offset)) % lattice.acceleration != 0 {
            return "the R=\(acceleration) lattice (offset \(lattice.offset)) does not reflect onto itself about line \(ny / 2)"
        }
        return nil
    }

    /// The acquisition as seen by the physical coils and their conjugate reflections
    /// together: the same lattice and kept lines, the ACS block narrowed to the lines whose
    /// reflections are ACS lines too (for an even-sized block centred at `ny/2`, one line
    /// fewer). Throws when ``conjugateSymmetryObstacle`` names one, or no ACS line is left.
    public func conjugateSymmetric() throws -> Acquisition {
        if let obstacle = conjugateSymmetryObstacle {
            throw MRIError(.invalidArgument, "virtual conjugate coils cannot be used: \(obstacle)", setting: .virtualConjugate)
        }
        let acs = autoCalibrationLines
        let both = acs.filter { ConjugateSymmetry.mirror($0, count: ny).map(acs.contains) ?? false }
        guard let first = both.first, let last = both.last else {
            throw MRIError(.invalidArgument, "virtual conjugate coils cannot be used: the ACS block \(acs) has no line whose reflection is in it",
                           setting: .virtualConjugate)
        }
        return with(autoCalibrationLines: first..<(last + 1))
    }
}

/// What was measured of one slice, checked once: the ky sampling mask, its uniform lattice
/// (acceleration `R` ≥ 2 and offset) and its auto-calibration (ACS) block.
///
/// Every reconstruction method takes an `Acquisition` and trusts it: the mask has been
/// shown to be a uniform lattice plus one block, so no method derives the lattice or the
/// ACS block again. What a method needs beyond that (an ACS block large enough for its
/// kernel, say) it checks itself, against the data.
///
/// ```swift
/// let acquisition = try Acquisition.uniform(ny: 288, acceleration: 4, acsLines: 32)
/// let filled = try Grappa().reconstruct(k.masked(by: acquisition.mask), acquisition)
/// ```
public struct Acquisition: Sendable, Equatable {
    /// The lines that were measured (the methods calibrate on these).
    public let mask: SamplingMask
    /// The uniform undersampling lattice: every line `offset + R·l` is measured.
    public let lattice: UndersamplingLattice
    /// The auto-calibration block: the longest run of measured lines (ties: nearest the centre).
    public let autoCalibrationLines: Range<Int>
    /// The lines a reconstruction returns as measured; every other line is estimated.
    /// Normally ``mask``; ``estimatingAutoCalibrationLines()`` keeps only the lattice.
    public let keptLines: SamplingMask
    /// The lines the acquisition covers (``SamplingMask/acquiredRegion(acceleration:)``):
    /// all, or a partial-Fourier acquisition's acquired part; lines outside are not estimated.
    public var acquiredRegion: Range<Int> { mask.acquiredRegion(acceleration: acceleration) }
    /// Whether k-space is measured on both sides of its centre along both axes: false for the
    /// crop of a partial-Fourier acquisition (``restricted(to:)``, ``measuredOnOneSideOfReadout()``),
    /// whose lines are no longer centred on `ky = 0`.
    public private(set) var measuredOnBothSides = true
    /// The readout samples measured, where an asymmetric echo leaves some out (nil: all): a
    /// file reader's record (``withAcquiredReadout(_:)``); outside it nothing is estimated.
    public private(set) var acquiredReadout: Range<Int>?

    /// Checks that `mask` is a uniform lattice (R ≥ 2) plus one block of consecutive lines.
    public init(mask: SamplingMask) throws {
        let lattice = try mask.lattice()
        guard lattice.acceleration >= 2 else {
            throw MRIError(.invalidArgument, "the mask is fully sampled: there are no missing lines to reconstruct")
        }
        // lattice() succeeded, so the mask acquires a line and has a block.
        self.init(mask: mask, lattice: lattice, autoCalibrationLines: mask.autoCalibrationRegion()!, keptLines: mask)
    }

    private init(mask: SamplingMask, lattice: UndersamplingLattice, autoCalibrationLines: Range<Int>,
                 keptLines: SamplingMask) {
        self.mask = mask
        self.lattice = lattice
        self.autoCalibrationLines = autoCalibrationLines
        self.keptLines = keptLines
    }

    /// The uniform acquisition of the command-line contract: lines with
    /// `(ky − ny/2) mod R == 0` plus the centred block `[ny/2 − N/2, ny/2 − N/2 + N)`.
    public static func uniform(ny: Int, acceleration: Int, acsLines: Int) throws -> Acquisition {
        try Acquisition(mask: SamplingMask.uniform(ny: ny, acceleration: acceleration, acsLines: acsLines))
    }

    /// Number of phase-encode lines.
    public var ny: Int { mask.ny }
    /// The acceleration `R`.
    public var acceleration: Int { lattice.acceleration }

    /// The same acquisition, but the reconstruction estimates the ACS lines too and keeps
    /// only the lattice lines as measured (to score the interpolation alone).
    public func estimatingAutoCalibrationLines() -> Acquisition {
        Acquisition(mask: mask, lattice: lattice, autoCalibrationLines: autoCalibrationLines,
                    keptLines: SamplingMask(acquired: (0..<ny).map(lattice.contains))).covering(like: self)
    }

    /// The same acquisition of the lines `region` alone (renumbered from 0), as a k-space
    /// cropped to them holds it.
    public func restricted(to region: Range<Int>) throws -> Acquisition {
        var cropped = try Acquisition(mask: SamplingMask(acquired: Array(mask.acquired[region])))
        if keptLines != mask { cropped = cropped.estimatingAutoCalibrationLines() }
        cropped = cropped.covering(like: self)
        cropped.measuredOnBothSides = measuredOnBothSides && region.count == ny
        return cropped
    }

    /// The same acquisition of a readout cropped to one side of its centre and a little
    /// beyond (an asymmetric echo): to its acquired samples, all of which are measured.
    public func measuredOnOneSideOfReadout() -> Acquisition {
        var out = self
        out.measuredOnBothSides = false
        out.acquiredReadout = nil
        return out
    }

    /// The same acquisition with readout samples `readout` measured (nil: all of them).
    public func withAcquiredReadout(_ readout: Range<Int>?) -> Acquisition {
        var out = self
        out.acquiredReadout = readout
        if readout != nil { out.measuredOnBothSides = false }
        return out
    }

    /// The same acquisition calibrating on `lines`, a block of measured lines.
    func with(autoCalibrationLines lines: Range<Int>) -> Acquisition {
        Acquisition(mask: mask, lattice: lattice, autoCalibrationLines: lines, keptLines: keptLines).covering(like: self)
    }

    /// This acquisition with `other`'s coverage of k-space (``measuredOnBothSides``,
    /// ``acquiredReadout``): what every derived acquisition carries over.
    private func covering(like other: Acquisition) -> Acquisition {
        var out = self
        out.measuredOnBothSides = other.measuredOnBothSides
        out.acquiredReadout = other.acquiredReadout
        return out
    }

    /// Throws unless `k` has this acquisition's number of lines; `source` names the data.
    public func requireLines(of k: KSpace, source: String = "the k-space") throws {
        guard k.ny == ny else {
            throw MRIError(.invalidArgument, "the sampling mask has \(ny) lines but \(source) has \(k.ny)")
        }
    }

    /// Copies the kept (measured) lines of `measured` into `k`: after a reconstruction that
    /// did not write in place (coil compression), every measured sample is as measured.
    public func restoreKeptLines(of measured: KSpace, into k: inout KSpace) {
        k.replace(lines: (0..<ny).filter { keptLines.acquired[$0] }, from: measured)
    }
}

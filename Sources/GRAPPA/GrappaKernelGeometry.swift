import MRICore

/// The shape of a GRAPPA kernel: how many acquired (source) lines and how many
/// readout points around each missing point feed its estimate.
///
/// Source lines sit at lattice offsets `j ∈ {−⌊(lines−1)/2⌋, …}` (`lines` of them)
/// from the acquired line just above the missing point; for the default 4 lines that
/// is `{−1, 0, 1, 2}`, two acquired lines on each side. Readout offsets are
/// `d ∈ {−(readout−1)/2, …, (readout−1)/2}`.
public struct GrappaKernelGeometry: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Readout width in samples (odd; default 5).
    public var readout: Int
    /// Number of acquired source lines (≥ 2; default 4).
    public var lines: Int

    /// Creates a geometry; call ``validate()`` before use on user input.
    public init(readout: Int = 5, lines: Int = 4) {
        self.readout = readout
        self.lines = lines
    }

    /// Throws a clear error for an even or too small readout width or too few lines.
    public func validate() throws {
        guard readout >= 1, readout % 2 == 1, readout <= 31 else {
            throw MRIError(.invalidArgument, "kernel readout width must be odd and in 1…31, found \(readout)",
                           setting: .kernelReadout)
        }
        guard lines >= 2, lines <= 16 else {
            throw MRIError(.invalidArgument, "kernel must use 2…16 acquired lines, found \(lines)", setting: .kernelLines)
        }
    }

    /// First source-line offset, in units of R.
    public var firstLine: Int { -((lines - 1) / 2) }
    /// Last source-line offset, in units of R.
    public var lastLine: Int { firstLine + lines - 1 }
    /// Half the readout width.
    public var halfReadout: Int { readout / 2 }

    /// Fewest ACS lines that give at least one calibration position at acceleration `r`.
    public func minimumACSLines(acceleration r: Int) -> Int {
        r * (lastLine - firstLine) + 1
    }

    /// The base lines of the calibration positions in `acs` at acceleration `r`: those whose
    /// source lines `base + R·j` and targets `base + 1 … base + R − 1` all lie in the block.
    func calibrationBases(acs: Range<Int>, acceleration r: Int) -> ClosedRange<Int> {
        (acs.lowerBound - r * firstLine)...(acs.upperBound - 1 - max(r * lastLine, r - 1))
    }

    /// Throws the error a user sees when an ACS block of `acsLines` lines at acceleration `r`,
    /// or a readout of `nx` samples, cannot calibrate this kernel.
    public func requireCalibratable(acsLines: Int, acceleration r: Int, nx: Int) throws {
        guard acsLines >= minimumACSLines(acceleration: r) else {
            throw MRIError(.invalidArgument,
                           "ACS of \(acsLines) lines is too small for a \(self) kernel at R=\(r): at least \(minimumACSLines(acceleration: r)) lines are needed",
                           setting: .acsLines)
        }
        guard nx >= readout else {
            throw MRIError(.invalidArgument, "readout of \(nx) samples is narrower than the kernel's \(readout)", setting: .kernelReadout)
        }
    }

    public var description: String { "\(lines) lines × \(readout) readout" }
}

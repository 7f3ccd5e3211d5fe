import MRICore
import MRIIO

/// Where a slice's sampling comes from: a uniform pattern imposed on fully sampled data, a
/// mask file for acquired data, or the lines the input file records (ISMRMRD).
public enum SamplingSource: Sendable, Equatable {
    /// The data is fully sampled and is undersampled here (``MRICore/Acquisition/uniform(ny:acceleration:acsLines:)``).
    case uniform(acceleration: Int, acsLines: Int)
    /// A 1-D ky mask in a `.npy` file (bool or uint8); the data is what was acquired.
    case maskFile(String)
    /// The lines the input file records as acquired, slice by slice.
    case recordedInFile

    /// The sampling the command-line flags give: `--accel R` (with `--acs N`), `--mask FILE`,
    /// or neither (the file's own record).
    public init(acceleration: Int?, acsLines: Int?, maskFile: String?) throws {
        if let maskFile {
            guard acceleration == nil && acsLines == nil else { throw MRIError(.invalidArgument, "a mask and an acceleration (with ACS lines) were both given: give one, not both") }
            self = .maskFile(maskFile)
        } else if let acceleration {
            self = .uniform(acceleration: acceleration, acsLines: acsLines ?? Self.defaultACSLines)
        } else {
            guard acsLines == nil else { throw MRIError(.invalidArgument, "ACS lines need the acceleration R", setting: .acsLines) }
            self = .recordedInFile
        }
    }

    /// Default number of ACS lines of a uniform pattern.
    public static let defaultACSLines = 32

    /// Whether each slice may have its own pattern (so it is looked up per slice).
    public var variesBySlice: Bool { self == .recordedInFile }

    /// The checked acquisition of slice `index` of `reader` (with the readout samples it
    /// records as acquired); `source` names the input.
    public func acquisition(for reader: any KSpaceVolumeReader, slice index: Int, source: String) throws -> Acquisition {
        try lines(for: reader, slice: index, source: source).withAcquiredReadout(reader.acquiredReadout)
    }

    private func lines(for reader: any KSpaceVolumeReader, slice index: Int, source: String) throws -> Acquisition {
        let ny = reader.sliceShape.ny
        switch self {
        case let .uniform(acceleration, acsLines):
            return try Acquisition.uniform(ny: ny, acceleration: acceleration, acsLines: acsLines)
        case let .maskFile(path):
            return try Acquisition(mask: NpyFile.readMask(path, expectedLength: ny))
        case .recordedInFile:
            guard let recorded = try reader.planeLines(slice: index) else {
                throw MRIError(.invalidArgument, "\(source) records no sampling pattern: the sampling must be given",
                               setting: .mask)
            }
            return try Acquisition(mask: recorded)
        }
    }
}

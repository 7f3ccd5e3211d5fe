/// An error with a message meant for the person who ran the reconstruction: it names the
/// file or setting at fault and what was expected against what was found. Messages speak
/// of the data and the settings, never of a front end's flags: a front end maps
/// ``setting`` to its own name for it.
public struct MRIError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is; front ends map kinds to exit codes (``Kind/exitCode``).
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// A file could not be read or written (missing, unreadable, disk full).
        case io
        /// A file's contents are not what was expected (format, dtype, shape, values).
        case format
        /// A setting or argument is out of range or contradicts another.
        case invalidArgument
        /// The computation failed (e.g. a singular calibration matrix).
        case numerical

        /// The process exit code of this kind (BSD sysexits): 64 bad argument, 65 bad
        /// data, 66 file cannot be read or written, 70 numerical failure. The one table.
        public var exitCode: Int32 {
            switch self {
            case .invalidArgument: 64
            case .format: 65
            case .io: 66
            case .numerical: 70
            }
        }

        /// The kind whose exit code is `code`, if any.
        public init?(exitCode code: Int32) {
            guard let kind = Kind.allCases.first(where: { $0.exitCode == code }) else { return nil }
            self = kind
        }
    }

    /// A library setting an error is about, for front ends to name in their own terms.
    public enum Setting: String, Sendable, Equatable, CaseIterable {
        case acceleration, acsLines, mask, slice, virtualCoils
        case lambda, kernelLines, kernelReadout, virtualConjugate
        case iterations, learningRate, whiteningRidge, hiddenChannels, plateauWindow
        case metaModel, coilArray, kernel, gFactor, prewhitening, noiseVariance
    }

    /// The kind of failure.
    public let kind: Kind
    /// One-line, human-readable explanation.
    public let message: String
    /// The setting at fault, if the error is about one.
    public let setting: Setting?

    /// Creates an error of the given kind, about `setting` if given.
    public init(_ kind: Kind, _ message: String, setting: Setting? = nil) {
        self.kind = kind
        self.message = message
        self.setting = setting
    }

    public var description: String { message }
}

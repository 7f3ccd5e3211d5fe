/// An error with a message meant for the person who ran the tool: it names the
/// file or option at fault and what was expected against what was found.
public struct MRIError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is; the CLI maps kinds to exit codes.
    public enum Kind: Sendable, Equatable {
        /// A file could not be read or written (missing, unreadable, disk full).
        case io
        /// A file's contents are not what was expected (format, dtype, shape, values).
        case format
        /// An option or argument is out of range or contradicts another.
        case invalidArgument
        /// The computation failed (e.g. a singular calibration matrix).
        case numerical
    }

    /// The kind of failure.
    public let kind: Kind
    /// One-line, human-readable explanation.
    public let message: String

    /// Creates an error of the given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

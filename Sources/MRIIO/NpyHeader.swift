import MRICore

/// The element types this package reads from and writes to `.npy` files.
public enum NpyElementType: Sendable, Equatable {
    case complex64, complex128, float32, float64, bool, uint8, int8, int16, int32, int64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .uint8, .int8: 1
        case .int16: 2
        case .float32, .int32: 4
        case .complex64, .float64, .int64: 8
        case .complex128: 16
        }
    }

    /// numpy's type code without the byte-order character (`c8`, `f4`, `b1`, …).
    public var code: String {
        switch self {
        case .complex64: "c8"
        case .complex128: "c16"
        case .float32: "f4"
        case .float64: "f8"
        case .bool: "b1"
        case .uint8: "u1"
        case .int8: "i1"
        case .int16: "i2"
        case .int32: "i4"
        case .int64: "i8"
        }
    }

    /// The `descr` numpy writes for this type on a little-endian machine.
    public var descr: String { size == 1 ? "|\(code)" : "<\(code)" }

    /// Whether values are complex.
    public var isComplex: Bool { self == .complex64 || self == .complex128 }
}

/// A parsed `.npy` header (format versions 1.0, 2.0 and 3.0).
public struct NpyHeader: Sendable, Equatable {
    /// Element type.
    public let elementType: NpyElementType
    /// True when the data are big-endian and must be byte-swapped.
    public let bigEndian: Bool
    /// True when the data are stored in Fortran (column-major) order.
    public let fortranOrder: Bool
    /// Array shape.
    public let shape: [Int]
    /// Byte offset of the first element.
    public let dataOffset: Int

    /// Number of elements (the product of `shape`; checked for overflow when parsed).
    public var count: Int { shape.reduce(1, *) }

    /// Largest header this reader accepts; numpy's own are a few hundred bytes.
    static let maxHeaderLength = 1 << 20

    /// Parses the header at the start of `bytes`. `fileSize` is the size of the whole
    /// file, used to check that the data are present in full before anything is allocated.
    public static func parse(_ bytes: [UInt8], fileSize: Int, source: String) throws -> NpyHeader {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw MRIError(.format, "\(source): not a .npy file (the magic string \\x93NUMPY is missing)")
        }
        let major = bytes[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw MRIError(.format, "\(source): truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            start = 12
        default:
            throw MRIError(.format, "\(source): unsupported .npy format version \(major).\(bytes[7]) (expected 1, 2 or 3)")
        }
        guard headerLength <= maxHeaderLength, start + headerLength <= bytes.count else {
            throw MRIError(.format, "\(source): truncated .npy header (declares \(headerLength) bytes)")
        }
        guard let text = String(bytes: bytes[start..<(start + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw MRIError(.format, "\(source): .npy header is not text")
        }
        var parser = NpyHeaderParser(text: text, source: source)
        var dict = try parser.parseDictionary()
        guard case .string(let descr)? = dict.removeValue(forKey: "descr") else {
            throw MRIError(.format, "\(source): .npy header has no string field 'descr' (structured dtypes are not supported)")
        }
        guard case .bool(let fortran)? = dict.removeValue(forKey: "fortran_order") else {
            throw MRIError(.format, "\(source): .npy header has no boolean field 'fortran_order'")
        }
        guard case .tuple(let shape)? = dict.removeValue(forKey: "shape") else {
            throw MRIError(.format, "\(source): .npy header has no tuple field 'shape'")
        }
        let (type, bigEndian) = try elementType(descr, source: source)
        var count = 1
        for d in shape {
            guard d >= 0 else { throw MRIError(.format, "\(source): negative dimension \(d) in shape \(shape)") }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw MRIError(.format, "\(source): shape \(shape) has more elements than can be addressed") }
            count = p
        }
        let offset = start + headerLength
        let (need, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, need == fileSize - offset else {
            let found = max(fileSize - offset, 0)
            throw MRIError(.format,
                           "\(source): shape \(shape) of \(descr) needs \(overflow ? "more than Int.max" : "\(need)") bytes of data, the file has \(found)\(found < need ? " (truncated?)" : "")")
        }
        return NpyHeader(elementType: type, bigEndian: bigEndian, fortranOrder: fortran, shape: shape, dataOffset: offset)
    }

    private static func elementType(_ descr: String, source: String) throws -> (NpyElementType, Bool) {
        guard let order = descr.first, "<>|=".contains(order) else {
            throw MRIError(.format, "\(source): unsupported dtype '\(descr)'")
        }
        let code = String(descr.dropFirst())
        let all: [NpyElementType] = [.complex64, .complex128, .float32, .float64, .bool, .uint8, .int8, .int16, .int32, .int64]
        guard let type = all.first(where: { $0.code == code }) else {
            throw MRIError(.format, "\(source): unsupported dtype '\(descr)' (supported: complex64 <c8, complex128 <c16, float32, float64, bool, int and uint8)")
        }
        return (type, order == ">" && type.size > 1)
    }

    /// The header bytes numpy itself writes for this array (format 1.0, padded so that the
    /// data start on a 64-byte boundary), so files we write are byte-identical to numpy's.
    public static func encode(elementType: NpyElementType, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(elementType.descr)', 'fortran_order': False, 'shape': \(dims), }"
        let total = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        let len = dict.utf8.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(len & 0xFF), UInt8(len >> 8)] + Array(dict.utf8)
    }
}

/// Parses the Python dict literal of a `.npy` header: string keys; values that are
/// strings, True/False or tuples of integers.
struct NpyHeaderParser {
    enum Value: Equatable {
        case string(String), bool(Bool), tuple([Int]), other
    }

    private let chars: [Character]
    private var i = 0
    private let source: String

    init(text: String, source: String) {
        chars = Array(text)
        self.source = source
    }

    private func fail(_ what: String) -> MRIError {
        MRIError(.format, "\(source): malformed .npy header (\(what))")
    }

    private mutating func skipSpace() {
        while i < chars.count, chars[i].isWhitespace { i += 1 }
    }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < chars.count, chars[i] == c else { throw fail("expected '\(c)'") }
        i += 1
    }

    mutating func parseDictionary() throws -> [String: Value] {
        try expect("{")
        var out: [String: Value] = [:]
        while true {
            skipSpace()
            guard i < chars.count else { throw fail("unterminated dictionary") }
            if chars[i] == "}" { i += 1; return out }
            let key = try parseString()
            try expect(":")
            out[key] = try parseValue()
            skipSpace()
            if i < chars.count, chars[i] == "," { i += 1 }
        }
    }

    private mutating func parseString() throws -> String {
        skipSpace()
        guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw fail("expected a quoted string") }
        let quote = chars[i]
        i += 1
        let begin = i
        while i < chars.count, chars[i] != quote { i += 1 }
        guard i < chars.count else { throw fail("unterminated string") }
        defer { i += 1 }
        return String(chars[begin..<i])
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        guard i < chars.count else { throw fail("missing value") }
        switch chars[i] {
        case "'", "\"": return .string(try parseString())
        case "(": return .tuple(try parseTuple())
        case "[": try skipBracketed(); return .other
        default:
            let begin = i
            while i < chars.count, chars[i].isLetter || chars[i].isNumber { i += 1 }
            switch String(chars[begin..<i]) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            default: throw fail("unexpected value '\(String(chars[begin..<min(i + 1, chars.count)]))'")
            }
        }
    }

    private mutating func parseTuple() throws -> [Int] {
        try expect("(")
        var dims: [Int] = []
        while true {
            skipSpace()
            guard i < chars.count else { throw fail("unterminated shape") }
            if chars[i] == ")" { i += 1; return dims }
            let begin = i
            if chars[i] == "-" { i += 1 }
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
            // A trailing 'L' is how Python 2 wrote long integers.
            let digits = String(chars[begin..<i])
            if i < chars.count, chars[i] == "L" { i += 1 }
            guard let d = Int(digits) else { throw fail("shape entry '\(digits)' is not an integer") }
            guard dims.count < 32 else { throw fail("more than 32 dimensions") }
            dims.append(d)
            skipSpace()
            if i < chars.count, chars[i] == "," { i += 1 }
        }
    }

    private mutating func skipBracketed() throws {
        var depth = 0
        repeat {
            guard i < chars.count else { throw fail("unterminated list") }
            if chars[i] == "[" { depth += 1 } else if chars[i] == "]" { depth -= 1 }
            i += 1
        } while depth > 0
    }
}

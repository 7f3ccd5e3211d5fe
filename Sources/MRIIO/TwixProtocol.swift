import Foundation

/// The protocol text of a Siemens measurement: the ASCCONV block (`key = value` lines such
/// as `sKSpace.lPhaseEncodingLines = 128`) and XProtocol parameters (`<ParamString."Name"> { "value" }`).
struct TwixProtocol: Sendable {
    /// ASCCONV entries by their full key (`sPat.lAccelFactPE`, `alTR[0]`), values unquoted.
    let ascconv: [String: String]
    /// The raw buffers, searched for XProtocol parameters.
    private let buffers: [String: String]

    init(buffers: [String: String]) {
        self.buffers = buffers
        var entries: [String: String] = [:]
        // MeasYaps holds the measurement's ASCCONV; Phoenix repeats it (older files may lack one of them).
        for name in ["Phoenix", "MeasYaps"] {
            guard let text = buffers[name],
                  let begin = text.range(of: "### ASCCONV BEGIN"),
                  let end = text.range(of: "### ASCCONV END", range: begin.upperBound..<text.endIndex) else { continue }
            for line in text[begin.upperBound..<end.lowerBound].split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let key = parts[0].trimmingCharacters(in: .whitespaces)
                var value = parts[1].trimmingCharacters(in: .whitespaces)
                if let comment = value.range(of: "#") { value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces) }
                entries[key] = value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        ascconv = entries
    }

    /// An integer ASCCONV entry (decimal or `0x` hexadecimal).
    func integer(_ key: String) -> Int? {
        guard let v = ascconv[key] else { return nil }
        return v.hasPrefix("0x") ? Int(v.dropFirst(2), radix: 16) : Int(v)
    }

    /// A numeric ASCCONV entry.
    func number(_ key: String) -> Double? { ascconv[key].flatMap(Double.init) }

    /// The value of XProtocol parameter `name` (string, long or double), first found in the
    /// buffers `Dicom`, `Meas`, `Config` in that order.
    func parameter(_ name: String) -> String? {
        for buffer in ["Dicom", "Meas", "Config"] {
            guard let text = buffers[buffer] else { continue }
            for kind in ["ParamString", "ParamLong", "ParamDouble"] {
                guard let tag = text.range(of: "<\(kind).\"\(name)\">"),
                      let open = text.range(of: "{", range: tag.upperBound..<text.endIndex),
                      let close = text.range(of: "}", range: open.upperBound..<text.endIndex) else { continue }
                var body = String(text[open.upperBound..<close.lowerBound])
                // A double's body may start with `<Precision> n`.
                if let precision = body.range(of: "<Precision>") {
                    body = String(body[precision.upperBound...].drop { $0 == " " }.drop { $0.isNumber })
                }
                let value = body.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if !value.isEmpty { return value }
            }
        }
        return nil
    }
}

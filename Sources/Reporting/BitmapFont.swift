/// A built-in 5 × 7 pixel font (upper-case letters, digits and common punctuation;
/// lower case is drawn as upper case), so that figures need no font files.
public enum BitmapFont {
    /// Glyph width and height in font pixels, and the advance between characters.
    public static let width = 5, height = 7, advance = 6

    /// Rows of each glyph, top to bottom, "1" = ink.
    private static let glyphs: [Character: [String]] = {
        let table: [(Character, String)] = [
            ("A", "01110 10001 10001 11111 10001 10001 10001"), ("B", "11110 10001 10001 11110 10001 10001 11110"),
            ("C", "01110 10001 10000 10000 10000 10001 01110"), ("D", "11100 10010 10001 10001 10001 10010 11100"),
            ("E", "11111 10000 10000 11110 10000 10000 11111"), ("F", "11111 10000 10000 11110 10000 10000 10000"),
            ("G", "01110 10001 10000 10111 10001 10001 01111"), ("H", "10001 10001 10001 11111 10001 10001 10001"),
            ("I", "01110 00100 00100 00100 00100 00100 01110"), ("J", "00111 00010 00010 00010 00010 10010 01100"),
            ("K", "10001 10010 10100 11000 10100 10010 10001"), ("L", "10000 10000 10000 10000 10000 10000 11111"),
            ("M", "10001 11011 10101 10101 10001 10001 10001"), ("N", "10001 10001 11001 10101 10011 10001 10001"),
            ("O", "01110 10001 10001 10001 10001 10001 01110"), ("P", "11110 10001 10001 11110 10000 10000 10000"),
            ("Q", "01110 10001 10001 10001 10101 10010 01101"), ("R", "11110 10001 10001 11110 10100 10010 10001"),
            ("S", "01111 10000 10000 01110 00001 00001 11110"), ("T", "11111 00100 00100 00100 00100 00100 00100"),
            ("U", "10001 10001 10001 10001 10001 10001 01110"), ("V", "10001 10001 10001 10001 10001 01010 00100"),
            ("W", "10001 10001 10001 10101 10101 10101 01010"), ("X", "10001 10001 01010 00100 01010 10001 10001"),
            ("Y", "10001 10001 01010 00100 00100 00100 00100"), ("Z", "11111 00001 00010 00100 01000 10000 11111"),
            ("0", "01110 10001 10011 10101 11001 10001 01110"), ("1", "00100 01100 00100 00100 00100 00100 01110"),
            ("2", "01110 10001 00001 00010 00100 01000 11111"), ("3", "11111 00010 00100 00010 00001 10001 01110"),
            ("4", "00010 00110 01010 10010 11111 00010 00010"), ("5", "11111 10000 11110 00001 00001 10001 01110"),
            ("6", "00110 01000 10000 11110 10001 10001 01110"), ("7", "11111 00001 00010 00100 01000 01000 01000"),
            ("8", "01110 10001 10001 01110 10001 10001 01110"), ("9", "01110 10001 10001 01111 00001 00010 01100"),
            (".", "00000 00000 00000 00000 00000 01100 01100"), (",", "00000 00000 00000 00000 01100 00100 01000"),
            (":", "00000 01100 01100 00000 01100 01100 00000"), ("=", "00000 00000 11111 00000 11111 00000 00000"),
            ("-", "00000 00000 00000 11111 00000 00000 00000"), ("+", "00000 00100 00100 11111 00100 00100 00000"),
            ("%", "11000 11001 00010 00100 01000 10011 00011"), ("(", "00010 00100 01000 01000 01000 00100 00010"),
            (")", "01000 00100 00010 00010 00010 00100 01000"), ("/", "00000 00001 00010 00100 01000 10000 00000"),
            ("_", "00000 00000 00000 00000 00000 00000 11111"), (" ", "00000 00000 00000 00000 00000 00000 00000"),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { ($0.0, $0.1.split(separator: " ").map(String.init)) })
    }()

    /// Width in output pixels of `text` drawn at `scale`.
    public static func textWidth(_ text: String, scale: Int) -> Int { text.count * advance * scale }

    /// Draws `text` into `bitmap` with its top-left corner at (x, y), `scale` output pixels
    /// per font pixel, in grey level `ink` (every channel). Characters without a glyph are left blank.
    public static func draw(_ text: String, into bitmap: inout Bitmap, x: Int, y: Int, scale: Int = 2, ink: UInt8 = 255) {
        for (i, ch) in text.uppercased().enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, row) in rows.enumerated() {
                for (c, bit) in row.enumerated() where bit == "1" {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let px = x + (i * advance + c) * scale + dx, py = y + r * scale + dy
                            guard px >= 0, px < bitmap.width, py >= 0, py < bitmap.height else { continue }
                            for ch in 0..<bitmap.channels { bitmap.samples[(py * bitmap.width + px) * bitmap.channels + ch] = ink }
                        }
                    }
                }
            }
        }
    }
}

import CZlib
import MRIIO
import MRICore

/// An 8-bit image, grayscale (1 channel) or RGB (3 channels), row-major.
public struct Bitmap: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// Samples, index `(y * width + x) * channels + channel`.
    public var samples: [UInt8]

    /// A blank (black) bitmap.
    public init(width: Int, height: Int, channels: Int = 1) {
        precondition(channels == 1 || channels == 3, "channels must be 1 or 3")
        self.width = width
        self.height = height
        self.channels = channels
        samples = [UInt8](repeating: 0, count: width * height * channels)
    }

    /// A grayscale bitmap of `image`, mapping `[low, high]` linearly to 0…255 (clipped).
    /// With no window given, `[0, max]` of the image is used.
    public init(_ image: RealImage, low: Float = 0, high: Float? = nil) {
        self.init(width: image.nx, height: image.ny)
        let top = high ?? (image.pixels.max() ?? 1)
        let span = top > low ? top - low : 1
        for i in 0..<image.pixels.count {
            let v = (image.pixels[i] - low) / span * 255
            samples[i] = UInt8(max(0, min(255, v.isFinite ? v.rounded() : 0)))
        }
    }
}

/// Encodes bitmaps as PNG (8-bit, no interlace, zlib-compressed through system zlib).
public enum PNGWriter {
    /// The PNG file bytes of `bitmap`.
    public static func encode(_ bitmap: Bitmap) throws -> [UInt8] {
        let rowBytes = bitmap.width * bitmap.channels
        var raw = [UInt8]()
        raw.reserveCapacity((rowBytes + 1) * bitmap.height)
        for y in 0..<bitmap.height {
            raw.append(0)  // filter type: none
            raw.append(contentsOf: bitmap.samples[(y * rowBytes)..<((y + 1) * rowBytes)])
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), 6)
        guard status == Z_OK else { throw MRIError(.io, "PNG compression failed (zlib status \(status))") }
        compressed.removeLast(compressed.count - Int(compressedLength))

        var ihdr = bigEndian32(bitmap.width) + bigEndian32(bitmap.height)
        ihdr += [8, bitmap.channels == 3 ? 2 : 0, 0, 0, 0]  // depth, colour type, compression, filter, interlace
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", ihdr) + chunk("IDAT", compressed) + chunk("IEND", [])
    }

    /// Writes `bitmap` as a PNG file, atomically.
    public static func write(_ bitmap: Bitmap, to path: String) throws {
        try AtomicFile.write(try encode(bitmap), to: path)
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        return bigEndian32(data.count) + body + bigEndian32(Int(crc))
    }

    private static func bigEndian32(_ v: Int) -> [UInt8] {
        [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}

import Foundation
import MRICore
import MRIIO
import Reporting
import Testing
import TestSupport

@Suite struct PNGWriterTests {
    @Test func pythonDecodesTheSamePixels() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = RealImage(ny: 3, nx: 5, pixels: (0..<15).map { Float($0) })
        try PNGWriter.write(Bitmap(image, low: 0, high: 14), to: dir.file("a.png"))
        // An independent decoder: parse chunks, check CRCs, inflate IDAT, strip filter bytes.
        let script = """
            import struct, zlib
            b = open('\(dir.file("a.png"))', 'rb').read()
            assert b[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
            i, idat, ihdr = 8, b'', None
            while i < len(b):
                n, = struct.unpack('>I', b[i:i+4]); t = b[i+4:i+8]; d = b[i+8:i+8+n]
                crc, = struct.unpack('>I', b[i+8+n:i+12+n])
                assert zlib.crc32(t + d) & 0xffffffff == crc, t
                if t == b'IHDR': ihdr = struct.unpack('>IIBBBBB', d)
                if t == b'IDAT': idat += d
                i += 12 + n
            w, h, depth, colour = ihdr[:4]
            assert (w, h, depth, colour) == (5, 3, 8, 0), ihdr
            raw = zlib.decompress(idat)
            rows = [raw[r*(w+1)+1:(r+1)*(w+1)] for r in range(h)]
            print(' '.join(str(v) for row in rows for v in row))
            """
        let py = try runPython(script)
        #expect(py.status == 0, "\(py.stderr)")
        let decoded = py.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let expected = (0..<15).map { Int((Float($0) / 14 * 255).rounded()) }
        #expect(decoded == expected)
    }
}

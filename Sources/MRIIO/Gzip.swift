import CZlib
import MRICore

/// gzip (RFC 1952) through zlib: the files the project ships compressed, `.nii.gz` images.
public enum Gzip {
    /// The decompressed bytes of one gzip member; `source` names the data in errors.
    public static func decompress(_ compressed: UnsafeRawBufferPointer, source: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 16: expect a gzip header and trailer (CRC-32 and size are checked).
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw MRIError(.io, "\(source): zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(compressed.count)
        var status: Int32 = Z_OK
        while status != Z_STREAM_END {
            status = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            guard status == Z_OK || status == Z_STREAM_END else {
                throw MRIError(.format, "\(source): not valid gzip data (zlib status \(status))")
            }
            output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
            if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                throw MRIError(.format, "\(source): gzip data end early")
            }
        }
        return output
    }

    /// `bytes` as one gzip member (zlib's default level).
    public static func compress(_ bytes: [UInt8], source: String) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw MRIError(.io, "\(source): zlib could not be initialised")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let status = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw MRIError(.io, "\(source): gzip compression failed (zlib status \(status))") }
        output.removeLast(Int(stream.avail_out))
        return output
    }
}

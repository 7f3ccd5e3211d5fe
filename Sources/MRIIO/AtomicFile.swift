import Foundation
import MRICore

/// Writes files so that a reader (or a crash) sees either the old file or the complete
/// new one, never a torn one: the bytes go to a hidden temporary file in the same
/// directory, which is then renamed over the destination.
public enum AtomicFile {
    /// Writes the buffers produced by `body` to `path` atomically. `body` receives a
    /// sink to call with each chunk of bytes in order.
    public static func write(to path: String, _ body: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw MRIError(.io, "\(path): directory \(dir) does not exist")
        }
        let tmp = "\(dir)/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw MRIError(.io, "\(path): cannot create a file in \(dir) (\(String(cString: strerror(errno))))")
        }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try body { chunk in
                var offset = 0
                while offset < chunk.count {
                    let n = Foundation.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw MRIError(.io, "\(path): write failed (\(String(cString: strerror(errno))))")
                    }
                    offset += n
                }
            }
        }
        guard rename(tmp, path) == 0 else {
            throw MRIError(.io, "\(path): cannot rename the finished file into place (\(String(cString: strerror(errno))))")
        }
        ok = true
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }
}

import Foundation
import MRICore

/// Writes files so that a reader (or a crash) sees either the old file or the complete
/// new one, never a torn one: the bytes go to a hidden temporary file in the same
/// directory, which is then renamed over the destination.
public enum AtomicFile {
    /// Writes the buffers produced by `body` to `path` atomically. `body` receives a
    /// sink to call with each chunk of bytes in order.
    public static func write(to path: String, _ body: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        // A `Pending` file dropped on an error removes its temporary.
        let file = try Pending(path: path)
        var offset = 0
        try body { chunk in
            try file.write(chunk, at: offset)
            offset += chunk.count
        }
        try file.commit()
    }

    /// A hidden, unique temporary name in `path`'s directory (which must exist), so that
    /// the final rename stays within one file system. The name is tracked until
    /// ``finish(_:renamingTo:)`` or ``discard(_:)``, so that an interrupted run can remove
    /// the file (``removeTemporariesBeforeExit()``).
    public static func temporaryPath(for path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw MRIError(.io, "\(path): directory \(dir) does not exist")
        }
        let temporary = "\(dir)/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        temporaries.withLock { _ = $0.insert(temporary) }
        return temporary
    }

    /// Renames the finished `temporary` to `path`; the error names `path`.
    public static func finish(_ temporary: String, renamingTo path: String) throws {
        try temporaries.withLock { live in
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                live.remove(temporary)
                throw MRIError(.io, "\(path): cannot rename the finished file into place (\(reason))")
            }
            live.remove(temporary)
        }
    }

    /// Removes an unfinished `temporary`.
    public static func discard(_ temporary: String) {
        temporaries.withLock { live in
            unlink(temporary)
            live.remove(temporary)
        }
    }

    /// Removes every unfinished temporary file of this process, for a run stopped by a
    /// signal, and keeps the registry locked so that no rename can follow: call it right
    /// before `_exit`.
    public static func removeTemporariesBeforeExit() {
        temporaries.lockForever { live in for t in live { unlink(t) } }
    }

    private static let temporaries = LockedPaths()

    private final class LockedPaths: @unchecked Sendable {
        private let lock = NSLock()
        private var paths = Set<String>()
        func withLock<R>(_ body: (inout Set<String>) throws -> R) rethrows -> R {
            lock.lock()
            defer { lock.unlock() }
            return try body(&paths)
        }
        func lockForever(_ body: (Set<String>) -> Void) {
            lock.lock()
            body(paths)
        }
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// A file being written at arbitrary offsets (slices of a volume, in any order), which
    /// appears at its path only on ``commit()``; dropped uncommitted, it leaves no trace.
    public final class Pending: @unchecked Sendable {
        /// The destination.
        public let path: String
        private let temporary: String
        private var fd: Int32
        private let lock = NSLock()

        /// Creates the hidden temporary file next to `path`.
        public init(path: String) throws {
            temporary = try AtomicFile.temporaryPath(for: path)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                AtomicFile.discard(temporary)
                throw MRIError(.io, "\(path): cannot create a file next to it (\(reason))")
            }
            self.path = path
        }

        /// Reserves `bytes` of disk for the file before anything is computed, so that a full
        /// disk is an error up front, not after the work (and the file system lays the file
        /// out in one go). File systems without `fallocate` are left to allocate as they write.
        public func reserve(_ bytes: Int) throws {
            lock.lock()
            defer { lock.unlock() }
            guard fd >= 0, bytes > 0 else { return }
            let status = posix_fallocate(fd, 0, off_t(bytes))
            guard status == 0 || status == EOPNOTSUPP || status == EINVAL else {
                throw MRIError(.io, "\(path): cannot reserve \(bytes) bytes for the output (\(String(cString: strerror(status))))")
            }
        }

        /// Writes `bytes` at `offset` (safe to call from several threads).
        public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
            lock.lock()
            defer { lock.unlock() }
            guard fd >= 0 else { throw MRIError(.io, "\(path): written after commit") }
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw MRIError(.io, "\(path): write failed (\(String(cString: strerror(errno))))")
                }
                done += n
            }
        }

        /// Closes the file and renames it into place.
        public func commit() throws {
            lock.lock()
            defer { lock.unlock() }
            guard fd >= 0 else { return }
            close(fd)
            fd = -1
            try AtomicFile.finish(temporary, renamingTo: path)
        }

        deinit {
            if fd >= 0 {
                close(fd)
                AtomicFile.discard(temporary)
            }
        }
    }
}

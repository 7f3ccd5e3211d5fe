import Foundation
import MRICore

/// Opens k-space files with HDF5 inputs read first by a child process. A damaged HDF5 file can crash Debian's
/// libhdf5 1.10.8 inside calls that no check of ours can precede (a division by zero in
/// `H5Dopen2`, a wild `memcpy` in `H5HG_read`; RELIABILITY.md). So an HDF5 input is first
/// read whole by a child process (a command that calls ``readWhole(_:)``); if the child dies by a
/// signal, or is still reading after a time limit (libhdf5 also loops for ever on some
/// files), the file is refused with one line, and the tool itself never runs libhdf5 on it.
/// A file the child refuses is refused with the child's message, without a second read:
/// the child's address space is capped, so a damaged length that makes libhdf5 allocate
/// gigabytes fails fast there instead of being allocated (twice) for real.
/// `METAGRAPPA_TRUST_HDF5=1` skips the probe (the file is then read once, not twice).
public enum IsolatedReader {
    /// The reader for `path`, after the child-process probe for HDF5 files: `probe` is the
    /// executable and leading arguments of a command that runs ``readWhole(_:)`` on the path
    /// appended to them (`metagrappa probe-hdf5`, say).
    public static func openReader(_ path: String, probe: [String]) throws -> any KSpaceVolumeReader {
        if isHDF5(path) && ProcessInfo.processInfo.environment["METAGRAPPA_TRUST_HDF5"] != "1" {
            try run(probe, on: path)
        }
        return try KSpaceFiles.openReader(path)
    }

    static func isHDF5(_ path: String) -> Bool {
        ["h5", "hdf5"].contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// Runs `probe + [path]` in a child: a signal, or an error the child reports (passed
    /// on with its exit code's kind), refuses the file.
    private static func run(_ probe: [String], on path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else { return }  // the reader says why
        let limit = try timeLimit(for: path)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: probe[0])
        child.arguments = Array(probe.dropFirst()) + [path]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"  // a crash here is expected, not a report
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        child.standardError = errors
        let finished = DispatchSemaphore(value: 0)
        child.terminationHandler = { _ in finished.signal() }
        do { try child.run() } catch {
            throw MRIError(.io, "\(path): could not start the HDF5 probe process (\(error.localizedDescription)); set METAGRAPPA_TRUST_HDF5=1 to read the file in-process")
        }
        // libhdf5 can also loop for ever on a damaged file (fuzzing found it in H5HG_read).
        if finished.wait(timeout: .now() + limit) == .timedOut {
            kill(child.processIdentifier, SIGKILL)
            finished.wait()
            throw MRIError(.format, "\(path): reading this HDF5 file took over \(Int(limit)) s in a probe process (libhdf5 stuck on a damaged file?); nothing was written. If the file is only slow to read, raise METAGRAPPA_HDF5_PROBE_TIMEOUT (seconds)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if child.terminationReason == .uncaughtSignal {
            throw MRIError(.format, "\(path): damaged HDF5 file — the HDF5 library crashed reading it (signal \(child.terminationStatus) in a probe process); nothing was written")
        }
        guard child.terminationStatus != 0 else { return }
        let kind = MRIError.Kind(exitCode: child.terminationStatus) ?? .format
        let line = message.split(separator: "\n").first.map(String.init) ?? ""
        let prefix = "metagrappa: error: "
        throw MRIError(kind, line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count))
                             : "\(path): the HDF5 probe process failed (exit \(child.terminationStatus))")
    }

    /// Seconds the probe may take: `METAGRAPPA_HDF5_PROBE_TIMEOUT`, or 30 s plus 1 s per
    /// 20 MiB of file (reading runs at hundreds of MB/s here, so a valid file is far inside).
    private static func timeLimit(for path: String) throws -> Double {
        if let text = ProcessInfo.processInfo.environment["METAGRAPPA_HDF5_PROBE_TIMEOUT"] {
            guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                throw MRIError(.invalidArgument, "METAGRAPPA_HDF5_PROBE_TIMEOUT=\(text): expected a positive number of seconds")
            }
            return seconds
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
        return 30 + Double(size) / Double(20 << 20)
    }

    /// The child's work: opens an HDF5 k-space file and reads every slice and its acquisition
    /// pattern, with the address space capped, so that a crash inside libhdf5 happens here.
    public static func readWhole(_ file: String) throws {
        limitAddressSpace(extra: 2 << 30)
        let reader = try KSpaceFiles.openReader(file)
        let s = reader.sliceShape
        limitAddressSpace(extra: max(2 << 30, 3 * 8 * s.coils * s.ny * s.nx))
        for index in 0..<reader.slices {
            _ = try reader.readSlice(index)
            _ = try reader.acquiredLines(slice: index)
        }
    }

    /// Caps this process's address space at its present size plus `extra` bytes (soft
    /// limit only, so it can be raised again): what a valid slice needs, far below the
    /// gigabytes a damaged HDF5 length can ask for.
    static func limitAddressSpace(extra: Int) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        limit.rlim_cur = min(limit.rlim_max, rlim_t(kib * 1024 + extra))
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
    }
}

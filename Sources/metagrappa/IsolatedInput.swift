import ArgumentParser
import Foundation
import MRICore
import MRIIO

/// Opens the k-space files the commands read. A damaged HDF5 file can crash Debian's
/// libhdf5 1.10.8 inside calls that no check of ours can precede (a division by zero in
/// `H5Dopen2`, a wild `memcpy` in `H5HG_read`; RELIABILITY.md). So an HDF5 input is first
/// read whole by a child process (this executable, `probe-hdf5`); if the child dies by a
/// signal the file is refused with one line, and the tool itself never runs libhdf5 on it.
/// `METAGRAPPA_TRUST_HDF5=1` skips the probe (the file is then read once, not twice).
enum IsolatedInput {
    /// The reader for `path`, after the child-process probe for HDF5 files.
    static func openReader(_ path: String) throws -> any KSpaceVolumeReader {
        if isHDF5(path) && ProcessInfo.processInfo.environment["METAGRAPPA_TRUST_HDF5"] != "1" {
            try probe(path)
        }
        return try KSpaceFiles.openReader(path)
    }

    static func isHDF5(_ path: String) -> Bool {
        ["h5", "hdf5"].contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// Runs `probe-hdf5 path` in a child. A child that ends with an error status has met
    /// a damaged file our own checks catch; the parent then reads it and reports that error
    /// itself (same message as without the probe), so only a signal is turned into an error here.
    private static func probe(_ path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else { return }  // the reader says why
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executablePath())
        child.arguments = [ProbeHDF5Command.configuration.commandName!, path]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"  // a crash here is expected, not a report
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        do { try child.run() } catch {
            throw MRIError(.io, "\(path): could not start the HDF5 probe process (\(error.localizedDescription)); set METAGRAPPA_TRUST_HDF5=1 to read the file in-process")
        }
        child.waitUntilExit()
        if child.terminationReason == .uncaughtSignal {
            throw MRIError(.format, "\(path): damaged HDF5 file — the HDF5 library crashed reading it (signal \(child.terminationStatus) in a probe process); nothing was written")
        }
    }

    private static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Hidden subcommand run by ``IsolatedInput``: opens an HDF5 k-space file and reads every
/// slice and its acquisition pattern, so that a crash inside libhdf5 happens here.
struct ProbeHDF5Command: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-hdf5",
        abstract: "Read an HDF5 k-space file whole and discard it (used internally to isolate libhdf5).",
        shouldDisplay: false)

    @Argument(help: "A fastMRI or ISMRMRD .h5 file.")
    var file: String

    func execute() throws {
        let reader = try KSpaceFiles.openReader(file)
        for index in 0..<reader.slices {
            _ = try reader.readSlice(index)
            _ = try reader.acquiredLines(slice: index)
        }
    }
}

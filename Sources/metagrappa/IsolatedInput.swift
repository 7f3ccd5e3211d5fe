import ArgumentParser
import Foundation
import MRIIO

/// Opens the inputs of the commands: HDF5 files are read first by this executable's hidden
/// `probe-hdf5` in a child process (``MRIIO/IsolatedReader``).
enum IsolatedInput {
    static func openReader(_ path: String) throws -> any KSpaceVolumeReader {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return try IsolatedReader.openReader(path, probe: [executable, ProbeHDF5Command.configuration.commandName!])
    }
}

/// Hidden subcommand run by ``IsolatedInput``: reads an HDF5 k-space file whole and discards it.
struct ProbeHDF5Command: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-hdf5",
        abstract: "Read an HDF5 k-space file whole and discard it (used internally to isolate libhdf5).",
        shouldDisplay: false)

    @Argument(help: "A fastMRI or ISMRMRD .h5 file.")
    var file: String

    func execute() throws { try IsolatedReader.readWhole(file) }
}

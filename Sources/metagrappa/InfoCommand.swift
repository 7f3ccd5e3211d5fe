import ArgumentParser
import MRIIO

struct InfoCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a k-space or mask file: shape, dtype, per-coil energy, and the sampling it appears to have.")

    @Argument(help: "A k-space file (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5, Siemens .dat) or a mask (.npy).")
    var file: String

    func execute() throws {
        for line in try FileDescription.lines(of: file, openReader: IsolatedInput.openReader) { print(line) }
    }
}

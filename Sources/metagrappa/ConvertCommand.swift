import ArgumentParser
import MRIIO

struct ConvertCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Copy k-space from one file format to another, slice by slice.",
        discussion: """
            INPUT: .npy, BART .cfl/.hdr, fastMRI or ISMRMRD .h5, Siemens raw data .dat. OUTPUT's \
            format follows its extension (.npy, .cfl, .h5 = fastMRI layout). A file that records \
            its sampling (ISMRMRD, Siemens raw data) can also give it as a 1-D mask for recon --mask.
            """)

    @Argument(help: "Input k-space (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5, Siemens .dat).")
    var input: String

    @Option(name: .shortAndLong, help: "Output k-space (.npy, .cfl or .h5).")
    var output: String

    @Option(help: "Convert only this slice (0-based) of a multi-slice input.")
    var slice: Int?

    @Flag(help: "Remove 2× readout oversampling (readout FFT, keep the central half, FFT back): nx halves.")
    var removeOversampling = false

    @Option(help: "Also write the input's recorded sampling as a 1-D ky mask (.npy bool).")
    var maskOutput: String?

    func execute() throws {
        var conversion = KSpaceConversion(input: input, output: output)
        conversion.slice = slice
        conversion.removeReadoutOversampling = removeOversampling
        conversion.maskOutput = maskOutput
        conversion.openInput = IsolatedInput.openReader
        try conversion.run()
    }
}

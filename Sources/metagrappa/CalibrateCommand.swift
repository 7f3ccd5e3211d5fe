import ArgumentParser
import Reconstruction

struct CalibrateCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit a GRAPPA kernel on a scan's ACS and save it, to apply to other scans with recon --kernel.",
        discussion: """
            The kernel file records its coil count, acceleration, kernel geometry and λ; recon \
            --kernel refuses data it does not fit. Calibrate once (e.g. on a separate reference \
            scan, or one frame of a series) and apply to many.
            """)

    @Argument(help: "Input k-space (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5, Siemens .dat).")
    var input: String

    @Option(name: .shortAndLong, help: "Output kernel file (.kernel).")
    var output: String

    @Option(help: "The slice of a multi-slice input to calibrate on (0-based).")
    var slice: Int?

    @OptionGroup var acquisition: AcquisitionOptions
    @OptionGroup(title: "GRAPPA") var grappaOptions: GrappaOptions

    func execute() throws {
        var job = VolumeCalibration(input: input, output: output, sampling: try acquisition.sampling)
        job.grappa = grappaOptions.grappa
        job.slice = slice
        job.openInput = IsolatedInput.openReader
        let report = try job.run()
        let kernel = report.kernel
        printError("kernel: \(kernel.coils) coils, R=\(kernel.acceleration), \(kernel.geometry), λ_rel \(kernel.lambda)"
                   + (kernel.virtualConjugate ? ", with virtual conjugate coils" : "")
                   + (report.noiseVariance.map { String(format: " (noise variance per sample from the noise data: %.3g)", $0) } ?? ""))
    }
}

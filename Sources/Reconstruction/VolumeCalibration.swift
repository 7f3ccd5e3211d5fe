import GRAPPA
import MRICore
import MRIIO

/// Fits a GRAPPA kernel on one slice of a k-space file and writes it as a kernel file: the
/// library call behind `metagrappa calibrate`, with recon's sampling and noise rules (the
/// kernel is of the physical coils, so nothing is prewhitened).
///
/// ```swift
/// var job = VolumeCalibration(input: "reference.dat", output: "k.kernel", sampling: .recordedInFile)
/// let kernel = try job.run().kernel
/// ```
public struct VolumeCalibration {
    /// Input k-space file.
    public var input: String
    /// Output kernel file (`.kernel`).
    public var output: String
    /// How the slice was sampled.
    public var sampling: SamplingSource
    /// GRAPPA's settings.
    public var grappa = Grappa()
    /// The slice (0-based) of a multi-slice input; required there.
    public var slice: Int?
    /// Opens the input (a front end may isolate the file reader, say).
    public var openInput: (String) throws -> any KSpaceVolumeReader = KSpaceFiles.openReader

    /// The kernel written, and the noise variance its automatic λ took from the file's noise
    /// data (nil: estimated from the scan, or λ fixed).
    public struct Report: Sendable {
        public var kernel: GrappaKernel
        public var noiseVariance: Double?
    }

    public init(input: String, output: String, sampling: SamplingSource) {
        (self.input, self.output, self.sampling) = (input, output, sampling)
    }

    /// Checks the output and settings before anything is read.
    public func validate() throws {
        try KSpaceFiles.validateOutput(output, input: input, extensions: ["kernel"])
        try grappa.validate()
    }

    /// Runs the job.
    public func run() throws -> Report {
        try validate()
        let reader = try openInput(input)
        let index = try KSpaceFiles.chosenSlice(slice, of: reader, source: input)
        try MemoryBudget.check(reader.sliceShape, method: .grappa, source: input)
        let acquisition = try sampling.acquisition(for: reader, slice: index, source: input)
        var grappa = grappa
        // Noise data are read only when the automatic λ would use them; nothing here whitens,
        // so their use is checked as recon's prewhitening checks it.
        let noise = grappa.wantsNoiseVariance ? try reader.noiseScans() : nil
        let usable = noise.flatMap { (try? CoilWhitening(noise: $0)) == nil ? nil : $0 }
        let noiseVariance = NoiseDataRule.grappaNoiseVariance(grappa, reader: reader, usableNoise: usable)
        if let noiseVariance { grappa.noiseVariance = noiseVariance }
        let kernel = try grappa.calibrate(reader.readSlice(index), acquisition)
        try kernel.write(to: output)
        return Report(kernel: kernel, noiseVariance: noiseVariance)
    }
}

/// When GRAPPA's automatic λ takes its noise variance from a file's noise data: λ automatic
/// with no variance set, noise data that can whiten the coils, and a file that says how their
/// variance relates to its imaging samples (``MRIIO/KSpaceVolumeReader/imagingNoiseVariance(noise:)``).
/// Whitening keeps the coils' mean noise variance, so the same value serves whitened coils
/// (recon) and physical ones (calibrate).
public enum NoiseDataRule {
    /// The variance to give `grappa`, nil where the rule does not apply; `usableNoise`: the
    /// file's noise data if they can whiten its coils, else nil.
    public static func grappaNoiseVariance(_ grappa: Grappa, reader: any KSpaceVolumeReader, usableNoise noise: KSpace?) -> Double? {
        guard grappa.wantsNoiseVariance, let noise else { return nil }
        return reader.imagingNoiseVariance(noise: noise)
    }
}

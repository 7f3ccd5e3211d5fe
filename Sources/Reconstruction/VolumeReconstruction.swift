import CoilSensitivity
import Compute
import Foundation
import GRAPPA
import MRICore
import MRIIO
import Numerics
import Reporting

/// Reconstructs the slices of a k-space file (every one, or one) into an output file of the
/// same layout, one slice at a time through a ``SlicePipeline``: the library call behind
/// `metagrappa recon`. Nothing is written unless every slice succeeds.
///
/// ```swift
/// var job = VolumeReconstruction(input: "scan.h5", output: "out.npy",
///                                sampling: .uniform(acceleration: 4, acsLines: 32))
/// job.settings.method = .raki
/// let report = try job.run()
/// ```
public struct VolumeReconstruction {
    /// Input k-space file.
    public var input: String
    /// Output k-space file (format by extension).
    public var output: String
    /// How each slice was sampled.
    public var sampling: SamplingSource
    /// Method and settings.
    public var settings = ReconstructionSettings()
    /// Only this slice (0-based) of a multi-slice input.
    public var slice: Int?
    /// Also write GRAPPA g-factor maps here (float32 `.npy`, `[ny, nx]` or `[slices, ny, nx]`).
    public var gFactorOutput: String?
    /// Also write the combined magnitude image of the result here (8-bit PNG; several slices
    /// as a montage, row by row).
    public var imageOutput: String?
    /// How coil images are combined into the PNG and into an image output (`.nii`, `.nii.gz`).
    public var imageCombination = CoilCombination.rss
    /// Write the complex combined image (the phase kept) to an image output: `adaptive` or
    /// `sense` only (RSS has no phase).
    public var complexImage = false
    /// Opens the input (a front end may isolate the file reader, say).
    public var openInput: (String) throws -> any KSpaceVolumeReader = KSpaceFiles.openReader

    /// What a run did: its timings, and the GRAPPA kernel's support and λ_rel of each slice
    /// (when GRAPPA ran).
    public struct Report: Sendable {
        /// Seconds per stage.
        public var timings = Timings()
        /// Per reconstructed slice, the support and relative regularisation of its GRAPPA kernel.
        public var kernels: [(geometry: GrappaKernelGeometry, lambda: Double, virtualConjugate: Bool)] = []
        /// Per reconstructed slice, the sparse reconstruction's λ (relative to the data's intensity).
        public var sparseLambdas: [Float] = []
        /// The prewhitening applied, if any (the output is mapped back to the physical coils).
        public var whitening: CoilWhitening?
        /// Why the input's noise data were not used, if it has some that cannot whiten.
        public var unusableNoise: String?
        /// The noise variance of one sample of one (whitened) coil that GRAPPA's automatic λ was
        /// given, from the input's noise data; nil where each slice's own estimate was used (no
        /// noise data, or a file that does not say how its noise data's variance relates to its
        /// imaging data's: ``MRIIO/KSpaceVolumeReader/noiseVarianceScale``).
        public var noiseVariance: Double?
        /// A remark about the output image's geometry (none recorded), for a NIfTI output.
        public var imageNote: String?
    }

    /// GRAPPA across ky and kz (``GRAPPA/VolumeGrappa``) for a slab accelerated along both,
    /// where the settings allow it (nil: they ask for what it does not do).
    static func acrossKyAndKz(_ settings: ReconstructionSettings, gFactor: String?, png: String?) -> VolumeGrappa? {
        guard settings.method == .grappa, settings.kernel == nil, settings.virtualCoils == nil, gFactor == nil, png == nil else { return nil }
        var grappa = VolumeGrappa()
        if case let .relative(value)? = settings.lambda { grappa.lambda = value }
        return grappa
    }

    /// `combination` as an image output applies it: RSS of the coils as reconstructed (the
    /// output k-space's own RSS); adaptive and SENSE-1, matched filters, on whitened coils
    /// where the input has noise data.
    static func combiner(_ combination: CoilCombination, complex: Bool, whitening: CoilWhitening?) -> ImageCombiner {
        guard combination != .rss else { return .rootSumOfSquares }
        let name = combination == .adaptive ? "adaptive, Walsh" : "SENSE-1, ESPIRiT maps"
        let prepared: @Sendable (KSpace) throws -> KSpace = { k in try whitening?.whitened(k) ?? k }
        var phase: (@Sendable (KSpace) throws -> [Complex<Float>])?
        if complex { phase = { @Sendable k in try combination.image(of: prepared(k)) } }
        return ImageCombiner(name: whitening == nil ? name : name + ", prewhitened",
                             combine: { k in try combination.magnitude(of: prepared(k)) }, complex: phase)
    }

    /// The report for a log (`recon --timing`): seconds per stage, the prewhitening, the
    /// noise variance from the noise data, each slice's GRAPPA kernel.
    public static func describe(_ report: Report) -> [String] {
        let t = report.timings
        var lines = [String(format: "open %.1f ms, calibrate %.1f ms, apply %.1f ms, waiting for reads/writes %.1f ms, commit %.1f ms, total %.1f ms",
                            t.open * 1e3, t.calibrate * 1e3, t.apply * 1e3, t.waiting * 1e3, t.commit * 1e3, t.total * 1e3)]
        if let w = report.whitening {
            lines.append("prewhitened: noise covariance of \(w.coils) coils from \(w.samples) samples per coil; output mapped back to the physical coils")
        }
        if let v = report.noiseVariance {
            lines.append("noise variance per sample from the noise data: \(String(format: "%.3g", v)) (GRAPPA's automatic λ uses it)")
        }
        for (slice, lambda) in report.sparseLambdas.enumerated() {
            let which = report.sparseLambdas.count > 1 ? " of slice \(slice)" : ""
            lines.append("cs λ\(which): \(String(format: "%.3g", lambda)) (relative to the ACS image's 90th percentile)")
        }
        for (slice, kernel) in report.kernels.enumerated() {
            let which = report.kernels.count > 1 ? " of slice \(slice)" : ""
            lines.append("GRAPPA kernel\(which): \(kernel.geometry), λ_rel \(String(format: "%.3g", kernel.lambda))"
                         + (kernel.virtualConjugate ? ", with virtual conjugate coils" : ""))
        }
        return lines
    }

    /// Seconds per stage of a whole run.
    public struct Timings: Sendable {
        /// Opening the input and creating the output.
        public var open = 0.0
        /// Calibration, training or adaptation, over all slices.
        public var calibrate = 0.0
        /// Filling the missing lines, over all slices.
        public var apply = 0.0
        /// Waiting for reads and writes that the arithmetic did not hide.
        public var waiting = 0.0
        /// Finishing the output files.
        public var commit = 0.0
        /// The whole run.
        public var total = 0.0
    }

    /// A job from `input` to `output` with the given sampling and default settings.
    public init(input: String, output: String, sampling: SamplingSource) {
        (self.input, self.output, self.sampling) = (input, output, sampling)
    }

    /// Checks the outputs and settings before anything is read.
    public func validate() throws {
        try KSpaceFiles.validateOutput(output, input: input, extensions: KSpaceFiles.outputExtensions)
        if let imageOutput { try KSpaceFiles.validateOutput(imageOutput, input: input, extensions: ["png"]) }
        if complexImage {
            guard NiftiFile.isNifti(output), imageCombination != .rss else {
                throw MRIError(.invalidArgument, "a complex image is written to a NIfTI output (.nii, .nii.gz) of the adaptive or sense combination (RSS has no phase)")
            }
        }
        if let gFactorOutput {
            try KSpaceFiles.validateOutput(gFactorOutput, input: input, extensions: ["npy"])
            guard settings.method == .grappa, settings.virtualCoils == nil else {
                throw MRIError(.invalidArgument, "g-factor maps are of a GRAPPA kernel of the physical coils: they need GRAPPA without coil compression",
                               setting: .gFactor)
            }
        }
        try settings.validate()
    }

    /// Runs the job.
    public func run() throws -> Report {
        try validate()
        var times = Timings()
        var kernels: [(geometry: GrappaKernelGeometry, lambda: Double, virtualConjugate: Bool)] = []
        var sparseLambdas: [Float] = []
        let total = Stopwatch()
        var settings = settings
        settings.source = input
        let reader = try openInput(input)
        let noise = settings.usesNoise ? try reader.noiseScans() : nil
        if settings.prewhitening == .required && noise == nil {
            throw MRIError(.invalidArgument, "\(input) carries no noise data to prewhiten with", setting: .prewhitening)
        }
        var whitening: CoilWhitening?
        var unusableNoise: String?
        if let noise {
            do { whitening = try CoilWhitening(noise: noise) } catch let error as MRIError {
                // Noise data that cannot whiten (all zeros, too few samples) fail a run that
                // asked for prewhitening; otherwise the run goes on unwhitened and says why.
                guard settings.prewhitening == .whenNoiseRecorded else { throw MRIError(error.kind, "\(input): \(error.message)") }
                unusableNoise = "\(input): \(error.message); not prewhitened"
            }
        }
        if let whitening, whitening.coils != reader.sliceShape.coils {
            throw MRIError(.format, "\(input): noise data of \(whitening.coils) coils for k-space of \(reader.sliceShape.coils)")
        }
        // Whitened coils carry white noise of the noise data's mean variance (scaled to the
        // imaging samples); a variance the caller set stays.
        let noiseVariance = settings.method == .grappa || settings.method == .cs
            ? NoiseDataRule.grappaNoiseVariance(settings.effectiveGrappa, reader: reader, usableNoise: whitening == nil ? nil : noise)
            : nil
        if let noiseVariance { settings.grappa.noiseVariance = noiseVariance }
        let reconstructor = try settings.reconstructor(whitening: whitening)
        let selected = try KSpaceFiles.chosenSlices(slice, of: reader, source: input)
        try MemoryBudget.check(reader.sliceShape, method: settings.method, source: input)
        // Resolved before any slice is read: a bad mask, or an input without a pattern of its
        // own, fails here; only a file's own per-slice patterns are looked up per slice.
        let first = try sampling.acquisition(for: reader, slice: selected[0], source: input)
        let combiner = Self.combiner(imageCombination, complex: complexImage, whitening: whitening)
        // A 3-D file's slabs are planned from their sampling before the output is made.
        let slabs = SlabReconstruction(reader: reader, writesImages: NiftiFile.isNifti(output), sampling: sampling, input: input,
                                       completion: settings.partialFourier)
        let acrossKyAndKz = Self.acrossKyAndKz(settings, gFactor: gFactorOutput, png: imageOutput)
        var slabPlans: [SlabReconstruction.Plan] = []
        if reader.partitions > 1 {
            guard slice == nil else {
                throw MRIError(.invalidArgument, "\(input): a 3-D acquisition is reconstructed whole (no --slice)", setting: .slice)
            }
            slabPlans = try slabs.plans(acrossKyAndKz: acrossKyAndKz != nil,
                                        refusal: "only GRAPPA (without a kernel file, coil compression, --gfactor or --png) reconstructs it, with a kernel across ky and kz")
        }
        let writer = try KSpaceFiles.createWriter(output, slices: selected.count, sliceShape: reader.sliceShape, like: reader, sourceSlices: selected,
                                                  combiner: combiner)
        times.open = total.seconds
        var gMaps: [Float] = []
        var pngImages: [Int: RealImage] = [:]
        var shared = try SharedCalibration(reader: reader, selected: selected, sampling: sampling, settings: settings, input: input)
        func process(_ index: Int, _ k: consuming KSpace) throws -> KSpace {
            let acquisition = sampling.variesBySlice ? try sampling.acquisition(for: reader, slice: index, source: input) : first
            let own = try shared.reconstructor(for: index, reader: reader, sampling: sampling, input: input, settings: settings,
                                               whitening: whitening, calibrating: reconstructor) ?? reconstructor
            let result = try own.reconstruct(consume k, acquisition)
            times.calibrate += result.timings.calibration
            times.apply += result.timings.application
            if let kernel = result.grappaKernel {
                kernels.append((kernel.geometry, kernel.lambda, kernel.virtualConjugate))
                // A kernel of whitened coils is judged on whitened coils.
                if gFactorOutput != nil {
                    gMaps += try GFactor.map(kernel: kernel, reconstructed: whitening?.whitened(result.kspace) ?? result.kspace)
                }
            }
            if let lambda = result.sparseLambda { sparseLambdas.append(lambda) }
            if imageOutput != nil { pngImages[index] = try combiner.combine(result.kspace) }
            return result.kspace
        }
        if reader.partitions > 1 {
            guard shared.sources.isEmpty else {
                throw MRIError(.format, "\(input): frames of a 3-D acquisition without reference lines of their own (echoes, repetitions or sets sharing one calibration) are not supported: each frame needs its own")
            }
            try slabs.run(slabPlans, writer: writer, process, volume: acrossKyAndKz.map { grappa in
                { acquisition, read, emit in
                    // On the coils as prewhitened; the acquired samples back as acquired.
                    let started = Stopwatch()
                    defer { times.apply += started.seconds }
                    try grappa.reconstruct(acquisition, coils: reader.sliceShape.coils, nx: reader.sliceShape.nx,
                                           read: { try whitening?.whitened(read($0)) ?? read($0) }) { z, k in
                        var out = try whitening?.unwhitened(k) ?? k
                        acquisition.restoreAcquired(partition: z, of: try read(z), into: &out)
                        try emit(z, out)
                    }
                }
            })
        } else {
            var pipeline = SlicePipeline(reader: reader, writer: writer, indices: selected)
            try pipeline.run { (index: Int, k: consuming KSpace) in try process(index, k) }
            times.waiting = pipeline.waiting
        }
        let commit = Stopwatch()
        if let gFactorOutput {
            let (ny, nx) = (reader.sliceShape.ny, reader.sliceShape.nx)
            try NpyFile.write(gMaps, shape: selected.count > 1 ? [selected.count, ny, nx] : [ny, nx], to: gFactorOutput)
        }
        try writer.commit()
        // After the output: a failed slice leaves no picture either.
        if let imageOutput { try PNGWriter.write(Bitmap(RealImage.montage(selected.compactMap { pngImages[$0] })), to: imageOutput) }
        times.commit = commit.seconds
        times.total = total.seconds
        return Report(timings: times, kernels: kernels, sparseLambdas: sparseLambdas, whitening: whitening, unusableNoise: unusableNoise,
                      noiseVariance: noiseVariance, imageNote: (writer as? NiftiImageWriter)?.note)
    }
}

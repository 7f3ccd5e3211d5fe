import ArgumentParser
import Foundation
import GRAPPA
import MetaLearner
import MRICore
import MRIIO
import RAKI

/// How the input was (or is to be) undersampled: `--accel R --acs N` or `--mask FILE`.
struct AcquisitionOptions: ParsableArguments {
    @Option(help: "Undersample the (fully sampled) input by R: keep lines with (ky − ny/2) mod R == 0 plus the ACS block.")
    var accel: Int?

    @Option(help: "Number of centred, fully sampled ACS lines kept with --accel (default 32).")
    var acs: Int?

    @Option(help: "1-D ky mask (.npy bool/uint8): the input is the acquired data.")
    var mask: String?

    func validate() throws {
        if mask != nil && (accel != nil || acs != nil) {
            throw ValidationError("give either --mask or --accel/--acs, not both")
        }
        if acs != nil && accel == nil { throw ValidationError("--acs needs --accel R") }
    }

    /// Whether neither --accel nor --mask was given (the input must then carry its own pattern).
    var fromFile: Bool { mask == nil && accel == nil }

    /// The sampling mask of slice `index` of `reader`: from --accel/--mask, or else the
    /// lines the file records for that slice.
    func resolve(_ reader: any KSpaceVolumeReader, slice index: Int, source: String) throws -> SamplingMask {
        try resolve(ny: reader.sliceShape.ny, fileMask: fromFile ? reader.acquiredLines(slice: index) : nil, source: source)
    }

    /// The sampling mask for a k-space of `ny` lines; `fileMask` is the pattern the input
    /// file records (ISMRMRD), used when neither --accel nor --mask is given.
    func resolve(ny: Int, fileMask: SamplingMask? = nil, source: String = "") throws -> SamplingMask {
        if let path = mask {
            let m = try NpyFile.readMask(path, expectedLength: ny)
            _ = try m.lattice()
            return m
        }
        if let accel { return try SamplingMask.uniform(ny: ny, acceleration: accel, acsLines: acs ?? 32) }
        guard let fileMask else {
            throw MRIError(.invalidArgument, "give --accel R (with --acs N) or --mask FILE: \(source.isEmpty ? "the input" : source) records no sampling pattern")
        }
        _ = try fileMask.lattice()
        return fileMask
    }
}

/// GRAPPA settings shared by the subcommands that run it.
struct GrappaOptions: ParsableArguments {
    @Option(name: .customLong("kernel-readout"), help: "GRAPPA kernel width along the readout (odd).")
    var readout = 5

    @Option(name: .customLong("kernel-lines"), help: "Number of acquired source lines in the GRAPPA kernel.")
    var lines = 4

    @Option(help: "Relative Tikhonov regularisation λ_rel (λ = λ_rel · trace(AᴴA)/unknowns).")
    var lambda = Grappa.defaultRegularization

    @Option(help: "Calibration solver: cholesky (fast) or qr (for checking).")
    var solver: Grappa.Solver = .cholesky

    func validate() throws {
        try GrappaKernelGeometry(readout: readout, lines: lines).validate()
        guard lambda >= 0, lambda.isFinite else { throw ValidationError("--lambda must be a finite number ≥ 0, found \(lambda)") }
    }

    var grappa: Grappa {
        Grappa(kernel: GrappaKernelGeometry(readout: readout, lines: lines), regularization: lambda, solver: solver)
    }
}

extension Grappa.Solver: ExpressibleByArgument {}

/// RAKI settings shared by the subcommands that run it.
struct RakiOptions: ParsableArguments {
    @Option(help: "RAKI: most Adam iterations (training stops earlier on a loss plateau). Default: from the scan's shape, as many as fit ~22 s of arithmetic on 2 cores (100…1500).")
    var iterations: Int?

    @Option(name: .customLong("learning-rate"), help: "RAKI: Adam learning rate.")
    var learningRate = Raki.Options().learningRate

    @Option(help: "RAKI: seed of the initial weights (same seed, same result).")
    var seed = Raki.Options().seed

    @Option(name: .customLong("hidden"), help: "RAKI: channels of the two hidden layers, as A,B.")
    var hidden: String = "\(Raki.Options().hiddenChannels.0),\(Raki.Options().hiddenChannels.1)"

    @Option(name: .customLong("plateau-window"),
            help: "RAKI: stop when the loss has not improved by 0.1 % over this many iterations.")
    var plateauWindow = Raki.Options().plateauWindow

    @Option(name: .customLong("whitening-ridge"),
            help: "RAKI: relative ridge of the first layer's input whitening (0 trains on the raw input).")
    var whiteningRidge: Float = Raki.Options().whiteningRidge ?? 0

    func validate() throws {
        guard hiddenChannels != nil else { throw ValidationError("--hidden must be two positive integers A,B, found '\(hidden)'") }
        do { try raki.options.validate() } catch let e as MRIError { throw ValidationError(e.message) }
    }

    private var hiddenChannels: (Int, Int)? {
        let parts = hidden.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, parts.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else { return nil }
        return (parts[0], parts[1])
    }

    var raki: Raki {
        var o = Raki.Options()
        o.iterations = iterations
        o.learningRate = learningRate
        o.seed = seed
        o.plateauWindow = plateauWindow
        o.whiteningRidge = whiteningRidge == 0 ? nil : whiteningRidge
        if let h = hiddenChannels { o.hiddenChannels = h }
        return Raki(options: o)
    }
}

/// SVD coil compression, shared by the subcommands that reconstruct.
struct CoilCompressionOptions: ParsableArguments {
    @Option(name: .customLong("virtual-coils"),
            help: "Compress to N SVD virtual coils (fitted on the ACS) before reconstructing; the output keeps the physical coils.")
    var virtualCoils: Int?

    func validate() throws {
        if let virtualCoils, virtualCoils < 1 {
            throw ValidationError("--virtual-coils must be at least 1, found \(virtualCoils)")
        }
    }
}

/// Everything the methods need besides the data.
struct MethodSettings {
    let grappa: Grappa
    let raki: Raki
    /// The meta model, loaded before any data is read (nil when meta is not used).
    var meta: MetaModel? = nil
    /// Skip the meta model's coil-array fingerprint check.
    var allowOtherArray = false
    /// Names the data in errors.
    var source = "the k-space"
    /// Reconstruct this many SVD virtual coils (nil: the physical coils).
    var virtualCoils: Int? = nil
}

/// The reconstruction methods available.
enum Method: String, CaseIterable, ExpressibleByArgument {
    case grappa, raki, meta

    /// Runs the method on acquired data; returns the reconstructed k-space and the
    /// seconds spent calibrating (or training) and applying. The method learns on `mask`'s
    /// ACS and fills the lines missing from `applyMask` (by default `mask`; a mask without
    /// the ACS block makes it estimate the ACS lines too).
    func reconstruct(_ k: consuming KSpace, mask: SamplingMask, applyMask: SamplingMask? = nil,
                     settings: MethodSettings) throws -> (KSpace, calibrate: Double, apply: Double) {
        let t0 = Stopwatch()
        let target = applyMask ?? mask
        if let n = settings.virtualCoils {
            guard let acs = mask.autoCalibrationRegion() else { throw MRIError(.format, "mask acquires no line") }
            let k = copy k
            let compression = try CoilCompression(fitting: k, lines: acs, virtualCoils: n)
            var physical = settings
            physical.virtualCoils = nil
            let compressing = t0.seconds
            let (virtual, c, a) = try reconstruct(compression.compress(k), mask: mask, applyMask: applyMask, settings: physical)
            let t1 = Stopwatch()
            var out = compression.expand(virtual)
            // The measured lines stay as measured, with all of their signal.
            for coil in 0..<k.coils {
                for y in 0..<k.ny where target.acquired[y] {
                    for x in 0..<k.nx { out.data[(coil * k.ny + y) * k.nx + x] = k[coil, y, x] }
                }
            }
            return (out, compressing + c, a + t1.seconds)
        }
        switch self {
        case .grappa:
            let kernel = try settings.grappa.calibrate(k, mask: mask)
            let calibration = t0.seconds
            let t1 = Stopwatch()
            let out = try kernel.apply(to: k, mask: target)
            return (out, calibration, t1.seconds)
        case .raki:
            let model = try settings.raki.train(k, mask: mask, progress: TrainingProgress.reporter())
            let training = t0.seconds
            let t1 = Stopwatch()
            let out = try model.apply(to: k, mask: target)
            return (out, training, t1.seconds)
        case .meta:
            guard let model = settings.meta else { preconditionFailure("the meta model is loaded before reconstruction") }
            var meta = MetaGrappa(model: model)
            meta.allowOtherArray = settings.allowOtherArray
            try meta.validate(k, mask: mask, source: settings.source)
            let (problem, theta, _) = try meta.adapt(k, mask: mask)
            let adaptation = t0.seconds
            let t1 = Stopwatch()
            let out = try MetaGrappa.apply(theta: theta, problem: problem, to: k, mask: target)
            return (out, adaptation, t1.seconds)
        }
    }
}

/// Training progress on stderr (iteration, loss, ETA), only when stderr is a terminal.
enum TrainingProgress {
    static func reporter() -> Raki.Progress? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        let clock = Stopwatch()
        return { iteration, maxIterations, loss, done in
            guard iteration % 10 == 0 || done else { return }
            let elapsed = clock.seconds
            // An upper bound: a loss plateau may end training earlier.
            let eta = elapsed / Double(iteration) * Double(maxIterations - iteration)
            let line = done
                ? String(format: "\rRAKI %d iterations, loss %.3e, %.1f s            \n", iteration, loss, elapsed)
                : String(format: "\rRAKI iteration %d/%d  loss %.3e  ETA ≤ %.0f s ", iteration, maxIterations, loss, eta)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// Checks that an output path has one of `extensions`, is not the input, and that its
/// directory exists, before any work is done.
func validateOutput(_ path: String, input: String, extensions: [String] = ["npy"]) throws {
    let url = URL(fileURLWithPath: path)
    guard extensions.contains(url.pathExtension.lowercased()) else {
        throw MRIError(.invalidArgument,
                       "\(path): output format '.\(url.pathExtension)' is not supported (expected \(extensions.map { "." + $0 }.joined(separator: ", ")))")
    }
    let same = { (a: String, b: String) in
        URL(fileURLWithPath: CflFile.base(of: a)).standardizedFileURL.path == URL(fileURLWithPath: CflFile.base(of: b)).standardizedFileURL.path
    }
    if url.standardizedFileURL.path == URL(fileURLWithPath: input).standardizedFileURL.path
        || (url.pathExtension.lowercased() == "cfl" && ["cfl", "hdr"].contains(URL(fileURLWithPath: input).pathExtension.lowercased())
            && same(path, input)) {
        throw MRIError(.invalidArgument, "\(path): output would overwrite the input")
    }
    var isDir: ObjCBool = false
    let dir = url.deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw MRIError(.io, "\(path): directory \(dir) does not exist")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
        throw MRIError(.io, "\(path): is a directory")
    }
}

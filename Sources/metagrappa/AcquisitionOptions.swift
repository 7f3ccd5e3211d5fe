import ArgumentParser
import Foundation
import GRAPPA
import MRICore
import MRIIO

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
        if mask == nil && accel == nil {
            throw ValidationError(acs == nil ? "give --accel R (with --acs N) or --mask FILE"
                                             : "--acs needs --accel R")
        }
    }

    /// The sampling mask for a k-space of `ny` lines.
    func resolve(ny: Int) throws -> SamplingMask {
        if let path = mask {
            let m = try NpyFile.readMask(path, expectedLength: ny)
            _ = try m.lattice()
            return m
        }
        return try SamplingMask.uniform(ny: ny, acceleration: accel!, acsLines: acs ?? 32)
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

/// The reconstruction methods available.
enum Method: String, CaseIterable, ExpressibleByArgument {
    case grappa

    /// Runs the method on acquired data; returns the reconstructed k-space and the
    /// seconds spent in calibration and application.
    func reconstruct(_ k: consuming KSpace, mask: SamplingMask, grappa: Grappa) throws -> (KSpace, calibrate: Double, apply: Double) {
        switch self {
        case .grappa:
            let t0 = Stopwatch()
            let kernel = try grappa.calibrate(k, mask: mask)
            let calibration = t0.seconds
            let t1 = Stopwatch()
            let out = try kernel.apply(to: k, mask: mask)
            return (out, calibration, t1.seconds)
        }
    }
}

/// Checks that an output path ends in `.npy`, is not the input, and that its directory exists,
/// before any work is done.
func validateOutput(_ path: String, input: String, extensions: [String] = ["npy"]) throws {
    let url = URL(fileURLWithPath: path)
    guard extensions.contains(url.pathExtension.lowercased()) else {
        throw MRIError(.invalidArgument,
                       "\(path): output format '.\(url.pathExtension)' is not supported (expected \(extensions.map { "." + $0 }.joined(separator: ", ")))")
    }
    if url.standardizedFileURL.path == URL(fileURLWithPath: input).standardizedFileURL.path {
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

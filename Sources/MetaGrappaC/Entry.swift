import Compute
import Foundation
import GRAPPA
import MRICore
import MRIIO
import Reconstruction

// The C entry points (declared for C in metagrappa.h). Arrays are C-order `[coils, ny, nx]`
// interleaved complex64; masks are `ny` bytes; every call returns 0 or an error status with
// its message in `error` (see CBoundary).

/// Sets the number of worker threads (at least 1); results do not depend on it.
@_cdecl("mg_set_threads")
public func mg_set_threads(_ n: Int32) { Parallel.workers = max(1, Int(n)) }

/// The number of worker threads.
@_cdecl("mg_threads")
public func mg_threads() -> Int32 { Int32(Parallel.workers) }

/// The uniform mask of the CLI's `--accel R --acs N` into `out` (`ny` bytes).
@_cdecl("mg_uniform_mask")
public func mg_uniform_mask(_ ny: Int32, _ acceleration: Int32, _ acs: Int32, _ out: UnsafeMutablePointer<UInt8>?,
                            _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        let mask = try SamplingMask.uniform(ny: Int(ny), acceleration: Int(acceleration), acsLines: Int(acs))
        guard let out else { throw MRIError(.invalidArgument, "output pointer is null") }
        for (i, a) in mask.acquired.enumerated() { out[i] = a ? 1 : 0 }
    }
}

/// Reconstructs one slice with `method` (grappa, raki, meta, cs) and JSON `options`, as
/// `metagrappa recon --mask` does; `info` receives JSON about what ran (kernel, λ, seconds).
@_cdecl("mg_reconstruct")
public func mg_reconstruct(_ method: UnsafePointer<CChar>?, _ k: UnsafePointer<Float>?, _ coils: Int32, _ ny: Int32, _ nx: Int32,
                           _ mask: UnsafePointer<UInt8>?, _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Float>?,
                           _ info: UnsafeMutablePointer<CChar>?, _ infoCapacity: Int64,
                           _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        guard let method else { throw MRIError(.invalidArgument, "method is null") }
        let settings = try SettingsFromJSON.settings(method: String(cString: method), CBoundary.object(options))
        let kspace = try CBoundary.kspace(k, coils: coils, ny: ny, nx: nx)
        let acquisition = try Acquisition(mask: CBoundary.mask(mask, ny: ny))
        try MemoryBudget.check((kspace.coils, kspace.ny, kspace.nx), method: settings.method, source: "the k-space")
        let result = try settings.reconstructor().reconstruct(kspace, acquisition)
        try CBoundary.store(result.kspace, to: out)
        var report: [String: Any] = ["calibration_seconds": result.timings.calibration, "application_seconds": result.timings.application,
                                     "acceleration": acquisition.lattice.acceleration,
                                     "acs_lines": [acquisition.autoCalibrationLines.lowerBound, acquisition.autoCalibrationLines.upperBound]]
        if let kernel = result.grappaKernel {
            report["kernel_lines"] = kernel.geometry.lines
            report["kernel_readout"] = kernel.geometry.readout
            report["lambda"] = kernel.lambda
            report["virtual_conjugate"] = kernel.virtualConjugate
        }
        if let lambda = result.sparseLambda { report["lambda"] = Double(lambda) }
        CBoundary.write(CBoundary.json(report), to: info, capacity: infoCapacity)
    }
}

/// Root-sum-of-squares image `[ny, nx]` (float32) of a k-space.
@_cdecl("mg_rss")
public func mg_rss(_ k: UnsafePointer<Float>?, _ coils: Int32, _ ny: Int32, _ nx: Int32, _ out: UnsafeMutablePointer<Float>?,
                   _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        let image = try CenteredFFT.rssImage(of: CBoundary.kspace(k, coils: coils, ny: ny, nx: nx))
        guard let out else { throw MRIError(.invalidArgument, "output pointer is null") }
        for (i, v) in image.pixels.enumerated() { out[i] = v }
    }
}

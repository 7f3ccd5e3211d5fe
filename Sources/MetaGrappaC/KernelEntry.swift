import Foundation
import GRAPPA
import MRICore
import Reconstruction

// GRAPPA kernels across the C boundary travel as the bytes of a kernel file
// (GrappaKernel.serialized), so that Python can keep, pickle and save them.

/// Calibrates a GRAPPA kernel (JSON `options`: kernel_lines, kernel_readout, lambda, solver).
/// `size` receives the kernel's byte count; the bytes are copied into `bytes` only if
/// `bytesCapacity` holds them (call again with a larger buffer otherwise).
@_cdecl("mg_calibrate")
public func mg_calibrate(_ k: UnsafePointer<Float>?, _ coils: Int32, _ ny: Int32, _ nx: Int32, _ mask: UnsafePointer<UInt8>?,
                         _ options: UnsafePointer<CChar>?, _ bytes: UnsafeMutablePointer<UInt8>?, _ bytesCapacity: Int64,
                         _ size: UnsafeMutablePointer<Int64>?, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        let grappa = try SettingsFromJSON.grappaAlone(CBoundary.object(options))
        let kspace = try CBoundary.kspace(k, coils: coils, ny: ny, nx: nx)
        let serialized = try grappa.calibrate(kspace, Acquisition(mask: CBoundary.mask(mask, ny: ny))).serialized()
        size?.pointee = Int64(serialized.count)
        if let bytes, bytesCapacity >= Int64(serialized.count) { bytes.update(from: serialized, count: serialized.count) }
    }
}

/// Describes a kernel's bytes as JSON: coils, acceleration, kernel_lines, kernel_readout, lambda,
/// virtual_conjugate.
@_cdecl("mg_kernel_info")
public func mg_kernel_info(_ bytes: UnsafePointer<UInt8>?, _ count: Int64, _ info: UnsafeMutablePointer<CChar>?, _ infoCapacity: Int64,
                           _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        let kernel = try load(bytes, count)
        CBoundary.write(CBoundary.json(["coils": kernel.coils, "acceleration": kernel.acceleration, "kernel_lines": kernel.geometry.lines,
                                        "kernel_readout": kernel.geometry.readout, "lambda": kernel.lambda,
                                        "virtual_conjugate": kernel.virtualConjugate]),
                        to: info, capacity: infoCapacity)
    }
}

/// Applies a kernel's bytes to a slice, as `metagrappa recon --kernel` does.
@_cdecl("mg_apply_kernel")
public func mg_apply_kernel(_ bytes: UnsafePointer<UInt8>?, _ count: Int64, _ k: UnsafePointer<Float>?, _ coils: Int32, _ ny: Int32,
                            _ nx: Int32, _ mask: UnsafePointer<UInt8>?, _ out: UnsafeMutablePointer<Float>?,
                            _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        var settings = ReconstructionSettings(method: .grappa)
        settings.kernel = (try load(bytes, count), "the kernel")
        let kspace = try CBoundary.kspace(k, coils: coils, ny: ny, nx: nx)
        let result = try settings.reconstructor().reconstruct(kspace, Acquisition(mask: CBoundary.mask(mask, ny: ny)))
        try CBoundary.store(result.kspace, to: out)
    }
}

/// The g-factor map `[ny, nx]` (float32) of the GRAPPA kernel calibrated on this slice
/// (JSON `options` as for ``mg_calibrate``).
@_cdecl("mg_gfactor")
public func mg_gfactor(_ k: UnsafePointer<Float>?, _ coils: Int32, _ ny: Int32, _ nx: Int32, _ mask: UnsafePointer<UInt8>?,
                       _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Float>?,
                       _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        var settings = ReconstructionSettings(method: .grappa)
        settings.grappa = try SettingsFromJSON.grappaAlone(CBoundary.object(options))
        let kspace = try CBoundary.kspace(k, coils: coils, ny: ny, nx: nx)
        // The path of `metagrappa recon --gfactor`: the kernel and the k-space it filled.
        let result = try settings.reconstructor().reconstruct(kspace, Acquisition(mask: CBoundary.mask(mask, ny: ny)))
        guard let kernel = result.grappaKernel else { throw MRIError(.numerical, "GRAPPA returned no kernel") }
        let map = try GFactor.map(kernel: kernel, reconstructed: result.kspace)
        guard let out else { throw MRIError(.invalidArgument, "output pointer is null") }
        for (i, g) in map.enumerated() { out[i] = g }
    }
}

private func load(_ bytes: UnsafePointer<UInt8>?, _ count: Int64) throws -> GrappaKernel {
    guard let bytes, count > 0 else { throw MRIError(.invalidArgument, "kernel bytes are empty") }
    return try GrappaKernel(serialized: Array(UnsafeBufferPointer(start: bytes, count: Int(count))), source: "the kernel")
}

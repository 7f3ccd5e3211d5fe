import CoilSensitivity
import Foundation
import MRICore
import MRIIO
import Numerics

// Images across the C boundary: coil combination, and NIfTI files with a geometry.

/// The coil-combined image `[ny, nx]` (complex64 into `out`, 2·ny·nx floats) of a k-space:
/// `method` "rss" (real, the magnitude), "adaptive" or "sense" (``CoilCombination``).
@_cdecl("mg_combine")
public func mg_combine(_ k: UnsafePointer<Float>?, _ coils: Int32, _ ny: Int32, _ nx: Int32, _ method: UnsafePointer<CChar>?,
                       _ out: UnsafeMutablePointer<Float>?, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        let name = method.map { String(cString: $0) } ?? "rss"
        guard let combination = CoilCombination(rawValue: name) else {
            throw MRIError(.invalidArgument, "method must be one of \(CoilCombination.allCases.map(\.rawValue).joined(separator: ", ")), found '\(name)'")
        }
        let image = try combination.image(of: CBoundary.kspace(k, coils: coils, ny: ny, nx: nx))
        guard let out else { throw MRIError(.invalidArgument, "output pointer is null") }
        out.withMemoryRebound(to: Complex<Float>.self, capacity: image.count) { $0.update(from: image, count: image.count) }
    }
}

/// Writes `slices` magnitude images `[ny, nx]` (float32, contiguous; the recorded readout,
/// oversampling included) to the NIfTI file `path` (.nii or .nii.gz), placed by `geometry`
/// (JSON as `mg_read_open` reports it; NULL: 1 mm voxels, identity orientation).
@_cdecl("mg_write_image")
public func mg_write_image(_ path: UnsafePointer<CChar>?, _ images: UnsafePointer<Float>?, _ slices: Int32, _ ny: Int32, _ nx: Int32,
                           _ geometry: UnsafePointer<CChar>?, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        guard let path, let images else { throw MRIError(.invalidArgument, "null argument") }
        let file = String(cString: path)
        guard NiftiFile.isNifti(file) else { throw MRIError(.invalidArgument, "\(file): an image is written as NIfTI (.nii or .nii.gz)") }
        guard slices >= 1, ny >= 1, nx >= 1 else { throw MRIError(.invalidArgument, "images must be at least 1 × 1 × 1, found \(slices) × \(ny) × \(nx)") }
        let placement = try geometry.map { try ScanGeometry(json: Data(String(cString: $0).utf8), source: "geometry") }
        let (s, h, w) = (Int(slices), Int(ny), Int(nx))
        let writer = try NiftiImageWriter(path: file, slices: s, sliceShape: (1, h, w), geometry: placement)
        for i in 0..<s {
            let pixels = Array(UnsafeBufferPointer(start: images + i * h * w, count: h * w))
            guard pixels.allSatisfy(\.isFinite) else { throw MRIError(.invalidArgument, "image \(i) contains NaN or Inf") }
            try writer.write(image: RealImage(ny: h, nx: w, pixels: pixels), slice: i)
        }
        try writer.commit()
    }
}

import Foundation
import MRICore

/// NIfTI-1 single files (`.nii`, gzip-compressed `.nii.gz`): float32 images with their
/// voxel-to-world affine, as viewers and registration tools read them.
public enum NiftiFile {
    /// Whether `path` names a NIfTI file (`.nii` or `.nii.gz`).
    public static func isNifti(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz")
    }

    /// Writes `values` (x fastest, then y, z, t; `complex`: real and imaginary parts
    /// interleaved) of shape `dims` ([nx, ny, nz] or [nx, ny, nz, nt]) with the affine `affine` (3 rows of 4: RAS mm from voxel indices)
    /// as both the sform and the qform (code 1, scanner), voxel sizes from its columns;
    /// `description` goes into the header (≤ 79 bytes). Written atomically.
    public static func write(_ values: [Float], dims: [Int], affine: [[Double]], complex: Bool = false, description: String = "",
                             to path: String) throws {
        precondition(dims.count == 3 || dims.count == 4, "3-D or 4-D")
        precondition(values.count == dims.reduce(1, *) * (complex ? 2 : 1), "values must fill dims")
        guard dims.allSatisfy({ (1...Int(Int16.max)).contains($0) }) else {
            throw MRIError(.invalidArgument, "\(path): an image of \(dims) voxels does not fit NIfTI-1 (at most 32767 per axis)")
        }
        var header = [UInt8](repeating: 0, count: 352)
        func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { header[at + i] = b } } }
        func put(_ v: Float, _ at: Int) { put(v.bitPattern, at) }
        put(Int32(348), 0)
        header[38] = UInt8(ascii: "r")
        put(Int16(dims.count), 40)
        for (i, d) in dims.enumerated() { put(Int16(d), 42 + 2 * i) }
        for i in dims.count..<7 { put(Int16(1), 42 + 2 * i) }
        put(Int16(complex ? 32 : 16), 70)  // NIFTI_TYPE_COMPLEX64 (real, imaginary float32), NIFTI_TYPE_FLOAT32
        put(Int16(complex ? 64 : 32), 72)
        let columns = (0..<3).map { c in SIMD3(affine[0][c], affine[1][c], affine[2][c]) }
        let sizes = columns.map { ($0 * $0).sum().squareRoot() }
        let (quaternion, qfac) = Self.quaternion(columns.enumerated().map { $0.element / max(sizes[$0.offset], .leastNormalMagnitude) })
        put(Float(qfac), 76)
        for (i, s) in sizes.enumerated() { put(Float(s), 80 + 4 * i) }
        put(Float(1), 92)  // time step: frames are echoes or repetitions, not seconds
        put(Float(352), 108)
        put(Float(1), 112)  // scl_slope
        header[123] = 2  // millimetres
        for (i, b) in description.utf8.prefix(79).enumerated() { header[148 + i] = b }
        put(Int16(1), 252)
        put(Int16(1), 254)
        for i in 0..<3 { put(Float(quaternion[i]), 256 + 4 * i) }
        for i in 0..<3 { put(Float(affine[i][3]), 268 + 4 * i) }
        for r in 0..<3 { for c in 0..<4 { put(Float(affine[r][c]), 280 + 16 * r + 4 * c) } }
        for (i, b) in "n+1".utf8.enumerated() { header[344 + i] = b }
        var bytes = header
        bytes.reserveCapacity(352 + 4 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        if path.lowercased().hasSuffix(".gz") { bytes = try Gzip.compress(bytes, source: path) }
        try AtomicFile.write(bytes, to: path)
    }

    /// NIfTI's quaternion (b, c, d) and qfac of the orthonormal matrix with columns `u`: a
    /// left-handed matrix (det < 0) is stored with its third column negated and qfac −1.
    static func quaternion(_ u: [SIMD3<Double>]) -> (SIMD3<Double>, Double) {
        let det = u[0].x * (u[1].y * u[2].z - u[2].y * u[1].z) - u[1].x * (u[0].y * u[2].z - u[2].y * u[0].z)
            + u[2].x * (u[0].y * u[1].z - u[1].y * u[0].z)
        let qfac = det < 0 ? -1.0 : 1.0
        let r = [u[0], u[1], u[2] * qfac]  // columns
        let (r11, r21, r31) = (r[0].x, r[0].y, r[0].z), (r12, r22, r32) = (r[1].x, r[1].y, r[1].z)
        let (r13, r23, r33) = (r[2].x, r[2].y, r[2].z)
        let trace = r11 + r22 + r33 + 1
        var a, b, c, d: Double
        // The largest of the four candidates is computed from the diagonal, the rest from it.
        if trace > 0.5 {
            a = 0.5 * trace.squareRoot()
            (b, c, d) = (0.25 * (r32 - r23) / a, 0.25 * (r13 - r31) / a, 0.25 * (r21 - r12) / a)
        } else if r11 >= r22 && r11 >= r33 {
            b = 0.5 * (1 + r11 - r22 - r33).squareRoot()
            (c, d, a) = (0.25 * (r12 + r21) / b, 0.25 * (r13 + r31) / b, 0.25 * (r32 - r23) / b)
        } else if r22 >= r33 {
            c = 0.5 * (1 + r22 - r11 - r33).squareRoot()
            (b, d, a) = (0.25 * (r12 + r21) / c, 0.25 * (r23 + r32) / c, 0.25 * (r13 - r31) / c)
        } else {
            d = 0.5 * (1 + r33 - r11 - r22).squareRoot()
            (b, c, a) = (0.25 * (r13 + r31) / d, 0.25 * (r23 + r32) / d, 0.25 * (r21 - r12) / d)
        }
        // NIfTI keeps a ≥ 0 (a is implied from b, c, d).
        if a < 0 { (b, c, d) = (-b, -c, -d) }
        return (SIMD3(b, c, d), qfac)
    }
}

import Foundation
import MRICore

extension GrappaKernel {
    /// Largest kernel file read (a 64-coil, R = 8, 7 × 8 kernel is ~14 MB).
    static let maximumFileSize = 1 << 28

    /// Reads a kernel file (``serialized()``; `metagrappa calibrate` writes them).
    public static func read(_ path: String) throws -> GrappaKernel {
        let url = URL(fileURLWithPath: path)
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw MRIError(.io, "\(path): cannot open the kernel file")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { throw MRIError(.io, "\(path): not a regular file") }
        let size = (attributes[.size] as? Int) ?? 0
        guard size <= maximumFileSize else {
            throw MRIError(.format, "\(path): \(size) bytes is larger than any kernel file (\(maximumFileSize) at most)")
        }
        guard let data = try? Data(contentsOf: url) else { throw MRIError(.io, "\(path): cannot read the kernel file") }
        return try GrappaKernel(serialized: [UInt8](data), source: path)
    }

    /// Throws unless this kernel can fill `k` acquired as `acquisition`: same coils, same R,
    /// a matrix at least as large as the kernel; `source` names the data or kernel file.
    public func checkApplicable(to k: KSpace, _ acquisition: Acquisition, source: String) throws {
        try acquisition.requireLines(of: k, source: source)
        guard k.coils == coils else {
            throw MRIError(.invalidArgument, "\(source): the kernel was calibrated for \(coils) coils, the k-space has \(k.coils)")
        }
        let r = acquisition.acceleration
        guard r == acceleration else {
            throw MRIError(.invalidArgument, "\(source): the kernel was calibrated for R=\(acceleration), the data is undersampled by R=\(r)")
        }
        guard k.nx >= geometry.readout, k.ny >= geometry.lines * r else {
            throw MRIError(.invalidArgument, "\(source): \(k.ny) × \(k.nx) k-space is too small for the kernel \(geometry)")
        }
        if virtualConjugate, let obstacle = acquisition.conjugateSymmetryObstacle {
            throw MRIError(.invalidArgument, "\(source): the kernel uses virtual conjugate coils, but \(obstacle)", setting: .virtualConjugate)
        }
    }
}

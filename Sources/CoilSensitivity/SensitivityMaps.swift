import Foundation
import MRICore
import Numerics

/// Coil sensitivity maps s_c(y, x): unit-norm coil vectors where the maps hold, zero where
/// they are cropped (no signal to explain), with ESPIRiT's eigenvalue at every pixel.
public struct SensitivityMaps: Sendable, Equatable {
    public let coils: Int
    public let ny: Int
    public let nx: Int
    /// s_c(y, x) at index `(c * ny + y) * nx + x`.
    public var data: [Complex<Float>]
    /// The top eigenvalue of the pixel matrix (≈ 1 inside the object), index `y * nx + x`.
    public var eigenvalues: [Float]

    public init(coils: Int, ny: Int, nx: Int, data: [Complex<Float>], eigenvalues: [Float]) {
        precondition(data.count == coils * ny * nx && eigenvalues.count == ny * nx)
        (self.coils, self.ny, self.nx, self.data, self.eigenvalues) = (coils, ny, nx, data, eigenvalues)
    }

    /// Whether pixel `(y, x)` is inside the maps' support.
    public func covers(_ y: Int, _ x: Int) -> Bool {
        (0..<coils).contains { data[($0 * ny + y) * nx + x] != .zero }
    }

    /// The coil images combined as `pics` returns an image: x(r) = Σ_c conj(s_c(r))·img_c(r)
    /// (zero outside the support).
    public func combine(_ images: CoilImages) -> [Complex<Float>] {
        precondition(images.coils == coils && images.ny == ny && images.nx == nx)
        let n = ny * nx
        var out = [Complex<Float>](repeating: .zero, count: n)
        for c in 0..<coils {
            for i in 0..<n { out[i] = out[i] + data[c * n + i].conjugate * images.data[c * n + i] }
        }
        return out
    }

    /// Turns each pixel's vector so that its component along `direction` is real and
    /// positive (an eigenvector's phase is arbitrary; this one varies smoothly).
    mutating func alignPhase(to direction: [Complex<Float>]) {
        let n = ny * nx
        for i in 0..<n {
            var projection = Complex<Float>.zero
            for c in 0..<coils { projection = projection + direction[c].conjugate * data[c * n + i] }
            let length = projection.length
            guard length > 0 else { continue }
            let turn = projection.conjugate.divided(by: length)
            for c in 0..<coils { data[c * n + i] = data[c * n + i] * turn }
        }
    }

    /// Zero where the eigenvalue is below `threshold`.
    mutating func crop(below threshold: Float) {
        let n = ny * nx
        for i in 0..<n where eigenvalues[i] < threshold {
            for c in 0..<coils { data[c * n + i] = .zero }
        }
    }
}

import Compute
import Foundation
import MRICore
import Numerics

/// How coil images become one image.
///
/// * ``rss``: the root-sum-of-squares magnitude `√Σ|x_c|²` (no phase).
/// * ``adaptive``: Walsh et al. (MRM 43:682, 2000): at every pixel the coil vector `v` is the
///   dominant eigenvector of the coil covariance `Σ x(q)x(q)ᴴ` over a `window × window`
///   neighbourhood, and the image is `vᴴx`: the matched filter of locally estimated
///   sensitivities, SNR-optimal for white coil noise (prewhiten first otherwise).
/// * ``sense``: SENSE-1 with ESPIRiT maps `s` from the central 32 lines (uncropped, so the
///   background stays): `sᴴx`, the image `pics` returns.
///
/// The complex images' phase is that of the combination's vectors, turned so that their
/// component along the data's first principal coil combination is real: smooth, and the
/// same for both.
public enum CoilCombination: String, Sendable, CaseIterable {
    case rss, adaptive, sense

    /// The neighbourhood of ``adaptive`` (pixels per side).
    public static let window = 7

    /// The combined image of k-space `k` `[ny · nx]` (``rss``: its magnitude, real).
    public func image(of k: KSpace) throws -> [Complex<Float>] {
        switch self {
        case .rss:
            return CenteredFFT.rssImage(of: k).pixels.map { Complex($0, 0) }
        case .adaptive:
            return try Self.adaptive(CenteredFFT.image(from: k), reference: Self.reference(k))
        case .sense:
            var espirit = Espirit()
            espirit.crop = 0
            let calibration = min(k.ny, espirit.calibrationSize)
            let maps = try espirit.maps(of: k, calibrationLines: (k.ny / 2 - calibration / 2)..<(k.ny / 2 - calibration / 2 + calibration))
            return maps.combine(CenteredFFT.image(from: k))
        }
    }

    /// The magnitude of ``image(of:)``.
    public func magnitude(of k: KSpace) throws -> RealImage {
        if self == .rss { return CenteredFFT.rssImage(of: k) }
        return RealImage(ny: k.ny, nx: k.nx, pixels: try image(of: k).map(\.length))
    }

    /// The data's first principal coil combination (the phase reference).
    static func reference(_ k: KSpace) throws -> [Complex<Float>] {
        try CoilCompression(fitting: k, lines: 0..<k.ny, virtualCoils: 1).basis
    }

    /// Walsh's combination of `images`, each pixel's vector turned so that its component
    /// along `reference` is real and positive.
    static func adaptive(_ images: CoilImages, reference: [Complex<Float>]) throws -> [Complex<Float>] {
        let (coils, ny, nx) = (images.coils, images.ny, images.nx)
        let half = window / 2, n = ny * nx
        var out = [Complex<Float>](repeating: .zero, count: n)
        out.withUnsafeMutableBufferPointer { destination in
        let result = UnsafeSendable(destination.baseAddress!)
        images.data.withUnsafeBufferPointer { pixels in
            let x = UnsafeSendable(pixels.baseAddress!)
            // Rows in fixed chunks (results do not depend on the worker count); each chunk
            // keeps the column sums of the outer products over its current window of rows.
            Parallel.forEachChunk(ny) { rows in
                var columns = [Complex<Float>](repeating: .zero, count: nx * coils * coils)
                var window = [Complex<Float>](repeating: .zero, count: coils * coils)
                var vector = [Complex<Float>](repeating: Complex(1 / Float(coils).squareRoot(), 0), count: coils)
                var next = vector
                func accumulate(row y: Int, sign: Float) {
                    for col in 0..<nx {
                        let base = col * coils * coils
                        for i in 0..<coils {
                            let a = x.value[(i * ny + y) * nx + col] * Complex(sign, 0)
                            for j in 0..<coils { columns[base + i * coils + j] += a * x.value[(j * ny + y) * nx + col].conjugate }
                        }
                    }
                }
                // Rows y − half − 1 … y + half − 1 before row y: the loop adds y + half and removes y − half − 1.
                for y in max(0, rows.lowerBound - half - 1)..<min(ny, rows.lowerBound + half) { accumulate(row: y, sign: 1) }
                for y in rows {
                    if y + half < ny { accumulate(row: y + half, sign: 1) }
                    if y - half - 1 >= 0 { accumulate(row: y - half - 1, sign: -1) }
                    for w in window.indices { window[w] = .zero }
                    for col in 0..<min(nx, half) { for w in window.indices { window[w] += columns[col * coils * coils + w] } }
                    for col in 0..<nx {
                        if col + half < nx { for w in window.indices { window[w] += columns[(col + half) * coils * coils + w] } }
                        if col - half - 1 >= 0 { for w in window.indices { window[w] -= columns[(col - half - 1) * coils * coils + w] } }
                        // Power iteration, started from the neighbouring pixel's vector.
                        for _ in 0..<(col == 0 && y == rows.lowerBound ? 50 : 8) {
                            var norm: Float = 0
                            for i in 0..<coils {
                                var s = Complex<Float>.zero
                                for j in 0..<coils { s += window[i * coils + j] * vector[j] }
                                next[i] = s
                                norm += s.lengthSquared
                            }
                            guard norm > 0 else { break }
                            let scale = Complex<Float>(1 / norm.squareRoot(), 0)
                            for i in 0..<coils { vector[i] = next[i] * scale }
                        }
                        var projection = Complex<Float>.zero, value = Complex<Float>.zero
                        for i in 0..<coils {
                            projection += reference[i].conjugate * vector[i]
                            value += vector[i].conjugate * x.value[(i * ny + y) * nx + col]
                        }
                        // vᴴx with v turned by the projection's phase: (v·e^{iφ})ᴴx = e^{−iφ}vᴴx.
                        let length = projection.length
                        result.value[y * nx + col] = length > 0 ? value * projection.divided(by: length) : value
                    }
                }
            }
        }
        }
        return out
    }
}

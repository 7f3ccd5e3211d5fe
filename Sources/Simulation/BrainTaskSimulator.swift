import Compute
import Foundation
import MRICore
import Numerics

/// Meta-training tasks on the paper's protocol: slices of a real
/// magnitude brain volume (Colin27), seen by one fixed coil array — the 32 loops (4 rings
/// × 8) of the reference simulation (make_sim.py) — with what varies between scans varied: slice,
/// left–right and front–back flips, shifts, contrast (a gamma), intensity shading, smooth
/// phase, noise level from high to low SNR and noise correlation (the coil model is
/// ``MRICore/PaperCoilArray``), and optionally the subject: how the array sits on the head and
/// how its loops load (``MRICore/HeadPlacement``). Deterministic for a seed.
public struct BrainTaskSimulator: Sendable {
    /// The volume `[z, y, x]`, uint8.
    public let volume: [UInt8]
    /// Volume sizes.
    public let depth: Int, height: Int, width: Int
    /// Matrix size of the simulated scans (square).
    public let matrix: Int
    /// The array's name, recorded in models.
    public static let arrayName = PaperCoilArray.name
    let maps: [Complex<Float>]
    let centres: [(Double, Double, Double)]
    let perRing: Int
    /// Coils of the array.
    public var coils: Int { centres.count }

    /// One simulated scan: noisy k-space (as a scanner gives it) and its noise-free twin,
    /// both scaled so that the noisy one has max |k| = 1.
    public struct Scan: Sendable {
        /// Noisy fully sampled k-space.
        public let noisy: KSpace
        /// The same without noise.
        public let clean: KSpace
        /// Slice index in the volume.
        public let slice: Int
        /// Noise σ relative to the largest coil-image magnitude.
        public let noiseLevel: Double
    }

    /// A simulator for `volume` (`[z, y, x]`, each slice no larger than `matrix`), seen by
    /// the paper's array or by another of its construction (``MRICore/PaperCoilArray/rings(coils:)``).
    public init(volume: [UInt8], depth: Int, height: Int, width: Int, matrix: Int = 288,
                array: (centres: [(Double, Double, Double)], perRing: Int)? = nil) throws {
        guard volume.count == depth * height * width, depth >= 1, height <= matrix, width <= matrix, matrix >= 16 else {
            throw MRIError(.invalidArgument,
                           "brain volume of \(depth)×\(height)×\(width) does not fit a \(matrix)² matrix")
        }
        self.volume = volume
        self.depth = depth
        self.height = height
        self.width = width
        self.matrix = matrix
        let array = array ?? (PaperCoilArray.centres, 8)
        maps = PaperCoilArray.maps(matrix, centres: array.centres, perRing: array.perRing)
        centres = array.centres
        perRing = array.perRing
    }

    /// Simulates slice `z`. `noiseLevel` nil draws one log-uniformly in [0.0015, 0.02]
    /// (make_sim.py's 0.004 is the middle); `augment` draws flips, shifts, contrast and
    /// shading (off: the slice as stored, as make_sim.py does); `placement` puts the array on
    /// another subject (nil: the nominal array).
    public func scan(slice z: Int, seed: UInt64, noiseLevel: Double? = nil, augment: Bool = true,
                     placement: HeadPlacement? = nil) throws -> Scan {
        guard (0..<depth).contains(z) else { throw MRIError(.invalidArgument, "slice \(z) is outside the volume's 0..<\(depth)") }
        var rng = SeededGenerator(seed: seed)
        let n = matrix
        let sigmaRel = noiseLevel ?? exp(log(0.0015) + rng.uniform() * (log(0.02) - log(0.0015)))
        let flipX = augment && rng.uniform() < 0.5, flipY = augment && rng.uniform() < 0.2
        let shift = augment ? (Int(rng.uniform() * 25) - 12, Int(rng.uniform() * 25) - 12) : (0, 0)
        let gamma = augment ? 0.7 + 0.7 * rng.uniform() : 1
        let shading = augment ? (0..<3).map { _ in 0.6 * rng.uniform() - 0.3 } : [0, 0, 0]
        let phaseCoefficients = (0..<5).map { _ in 2 * rng.uniform() - 1 }
        let correlation = augment ? 0.5 * rng.uniform() : 0.25
        var object = [Complex<Float>](repeating: .zero, count: n * n)
        let (oy, ox) = ((n - height) / 2 + shift.0, (n - width) / 2 + shift.1)
        for sy in 0..<height {
            for sx in 0..<width {
                let v = Double(volume[(z * height + (flipY ? height - 1 - sy : sy)) * width + (flipX ? width - 1 - sx : sx)])
                guard v > 0 else { continue }
                let (y, x) = (oy + sy, ox + sx)
                guard y >= 0, y < n, x >= 0, x < n else { continue }
                let (X, Y) = (Double(x - n / 2) / Double(n / 2), Double(y - n / 2) / Double(n / 2))
                let magnitude = pow(v / 254, gamma) * exp(shading[0] * X + shading[1] * Y + shading[2] * X * Y)
                let c = phaseCoefficients
                let phase = 0.6 * Double.pi * (c[0] * X + c[1] * Y + c[2] * X * X + c[3] * X * Y + c[4] * Y * Y)
                object[y * n + x] = Complex(Float(magnitude * cos(phase)), Float(magnitude * sin(phase)))
            }
        }
        let maps = placement.map { PaperCoilArray.maps(n, centres: centres, perRing: perRing, placement: $0) } ?? self.maps
        var images = [Complex<Float>](repeating: .zero, count: coils * n * n)
        var peak: Float = 0
        for c in 0..<coils {
            for i in 0..<(n * n) {
                let v = maps[c * n * n + i] * object[i]
                images[c * n * n + i] = v
                peak = max(peak, v.length)
            }
        }
        let clean = CenteredFFT.kspace(from: CoilImages(coils: coils, ny: n, nx: n, data: images))
        var noisy = clean
        addNoise(&noisy, sigma: sigmaRel * Double(peak), correlation: correlation, rng: &rng)
        var largest: Float = 0
        for z in noisy.data { largest = max(largest, z.length) }
        let inverse = 1 / largest
        var scaledClean = clean
        for i in 0..<noisy.data.count {
            noisy.data[i] = Complex(noisy.data[i].real * inverse, noisy.data[i].imaginary * inverse)
            scaledClean.data[i] = Complex(clean.data[i].real * inverse, clean.data[i].imaginary * inverse)
        }
        return Scan(noisy: noisy, clean: scaledClean, slice: z, noiseLevel: sigmaRel)
    }

    /// Complex Gaussian noise with coil covariance σ²(I + ρ·exp(−|c_i − c_j|/0.6)) (make_sim.py's model).
    func addNoise(_ k: inout KSpace, sigma: Double, correlation: Double, rng: inout SeededGenerator) {
        let nc = coils, n = k.ny * k.nx
        let psi = PaperCoilArray.noiseCovariance(correlation: correlation, centres: centres)
        let l = PhantomSimulator.cholesky(psi, nc).map { Float($0) }
        let scale = sigma / 2.0.squareRoot(), base = rng.next()
        k.data.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendable(buffer.baseAddress!)
            // Fixed chunks with their own streams: the same noise whatever the thread count.
            Parallel.forEachChunk(n) { pixels in
                var chunkRng = SeededGenerator(seed: base &+ UInt64(pixels.lowerBound))
                var w = [Float](repeating: 0, count: 2 * nc)
                for i in pixels {
                    // Box–Muller, both values of each pair used.
                    for j in stride(from: 0, to: 2 * nc, by: 2) {
                        let u1 = max(chunkRng.uniform(), 0x1.0p-60), u2 = chunkRng.uniform()
                        let radius = (-2 * Foundation.log(u1)).squareRoot() * scale, angle = 2 * Double.pi * u2
                        w[j] = Float(radius * Foundation.cos(angle))
                        w[j + 1] = Float(radius * Foundation.sin(angle))
                    }
                    for c in 0..<nc {
                        var re: Float = 0, im: Float = 0
                        for j in 0...c {
                            re += l[c * nc + j] * w[2 * j]
                            im += l[c * nc + j] * w[2 * j + 1]
                        }
                        out.value[c * n + i] += Complex(re, im)
                    }
                }
            }
        }
    }
}

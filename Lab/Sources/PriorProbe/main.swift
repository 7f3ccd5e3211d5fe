import Compute
import Foundation
@_spi(Lab) import GRAPPA
import MetaLearner
import MetaTraining
import MRICore
import MRIIO
import Simulation
import Numerics

// usage: prior-probe VOLUME R [--subjects] [--normalise-gains] [--own-kernel] [--prior-scale S] [--train N]
//
// How far a population kernel of the paper array can carry a linear learner: θ₀(ν), the
// kernel of least squared error over whole fully sampled training k-spaces (slices 20…99,
// augmented, their noise-free data pooled, each scaled to unit mean diagonal) at relative
// noise ν added to the diagonal, used alone or as the target of the scan's ridge,
// W(λ) = (AᴴA + λI)⁻¹(AᴴB + λθ₀), against GRAPPA's ridge towards zero. Scored on the
// validation slices (z = 100…108, never on reserved slices) at three SNR levels, R and 32 ACS
// lines, NRMSE against the noise-free image; every λ the best of a grid for that scan (an
// oracle), ν from the scan's true noise over the lattice lines' power, times S (default 100).
// --subjects: training and test scans each on a subject of their own (HeadPlacement.random);
// --normalise-gains: every scan divided per coil by its k-space centre before pooling and fitting.
// --own-kernel: also each scan's own kernel, from its noise-free whole k-space at ν×0.1, 1, 10,
// 100, on a line before the scan's row.
let args = CommandLine.arguments
let volume = try NpyFile.read(args[1])
let r = Int(args[2])!
let subjects = args.contains("--subjects")
let trainCount = args.firstIndex(of: "--train").map { Int(args[$0 + 1])! } ?? 40
let normaliseGains = args.contains("--normalise-gains")
let ownKernel = args.contains("--own-kernel")
let priorScale = args.firstIndex(of: "--prior-scale").map { Double(args[$0 + 1])! } ?? 100
let shape = volume.header.shape
let simulator = try BrainTaskSimulator(volume: volume.bytes, depth: shape[0], height: shape[1], width: shape[2])
let acquisition = try Acquisition.uniform(ny: 288, acceleration: r, acsLines: 32)
let supports = [GrappaKernelGeometry(readout: 5, lines: 4), GrappaKernelGeometry(readout: 7, lines: 2)]
let lambdas = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10, 100]

func solve(_ gram: [Complex<Float>], _ rhs: [Complex<Float>], n: Int, t: Int, lambda: Double, prior: [Complex<Float>]?) -> [Complex<Float>]? {
    var g = gram, b = rhs
    for i in 0..<n { g[i * n + i] += Complex(Float(lambda), 0) }
    if let prior { for i in 0..<(n * t) { b[i] += Complex(Float(lambda), 0) * prior[i] } }
    let ok = g.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.choleskyFactor(g: $0.baseAddress!, n: n, ldg: n) }
    guard ok else { return nil }
    ComplexLinearAlgebra.choleskySolve(factor: g, n: n, ldf: n, b: &b, nrhs: t, ldb: n)
    return b
}

/// Each coil divided by its sum over the 3 × 3 centre of k-space (a complex gain per coil,
/// rescaled by their RMS): a kernel in this frame does not see per-loop gains.
func normalised(_ k: KSpace) -> (KSpace, [Complex<Float>]) {
    guard normaliseGains else { return (k, [Complex<Float>](repeating: .one, count: k.coils)) }
    var rho = [Complex<Float>](repeating: .zero, count: k.coils)
    for c in 0..<k.coils { for dy in -1...1 { for dx in -1...1 { rho[c] = rho[c] + k[c, k.ny / 2 + dy, k.nx / 2 + dx] } } }
    let rms = (rho.reduce(Float(0)) { $0 + $1.lengthSquared } / Float(k.coils)).squareRoot()
    let g = rho.map { $0 * Complex<Float>(1 / rms, 0) }
    var out = k
    for c in 0..<k.coils { let inv = Complex<Float>.one / g[c]; for y in 0..<k.ny { for x in 0..<k.nx { out[c, y, x] = k[c, y, x] * inv } } }
    return (out, g)
}
func restored(_ k: KSpace, _ g: [Complex<Float>]) -> KSpace {
    var out = k
    for c in 0..<k.coils { for y in 0..<k.ny { for x in 0..<k.nx { out[c, y, x] = k[c, y, x] * g[c] } } }
    return out
}

// θ₀ per support: each training scan's full-k-space normal equations, scaled to unit mean diagonal, summed.
let clock = Stopwatch()
var sums: [GrappaKernelGeometry: ([Complex<Float>], [Complex<Float>])] = [:]
for i in 0..<trainCount {
    var rng = SeededGenerator(seed: 424_242 &+ UInt64(i) &* 7919)
    let z = 20 + Int(rng.next() % 80)
    let placement = subjects ? HeadPlacement.random(coils: 32, seed: rng.next()) : nil
    let scan = try simulator.scan(slice: z, seed: rng.next(), placement: placement)
    for g in supports {
        let system = CalibrationNormalEquations(k: normalised(scan.clean).0, acs: 0..<288, acceleration: r, geometry: g)
        let scale = Complex<Float>(Float(1 / system.meanDiagonal), 0)
        let (G, H) = sums[g] ?? ([Complex<Float>](repeating: .zero, count: system.gram.count), [Complex<Float>](repeating: .zero, count: system.rhs.count))
        sums[g] = (zip(G, system.gram).map { $0 + $1 * scale }, zip(H, system.rhs).map { $0 + $1 * scale })
    }
}
// The prior for relative noise ν = σ²/(mean signal power per sample): the clean pooled
// normal equations with ν added to their (unit) mean diagonal, as noise of that level would.
@MainActor func prior(_ g: GrappaKernelGeometry, nu: Double) -> [Complex<Float>] {
    let (G, H) = sums[g]!
    let n = 32 * g.lines * g.readout, t = 32 * (r - 1)
    let mean = (0..<n).reduce(0.0) { $0 + Double(G[$1 * n + $1].real) } / Double(n)
    return solve(G, H, n: n, t: t, lambda: max(nu, 1e-6) * mean, prior: nil)!
}
print(String(format: "priors from %d training scans in %.1f s", trainCount, clock.seconds))

func nrmse(_ k: KSpace, _ ref: RealImage) -> Double { ImageMetrics.nrmse(CenteredFFT.rssImage(of: k), ref) }
print("| z | SNR | support | floor | GRAPPA, best λ_rel | ridge towards θ₀, best λ_rel | θ₀ alone (ν×\(priorScale)) | θ₀ alone at ν×1, 10, 100, 1000 |")
print("|---|---|---|---|---|---|---|---|")
var means: [String: [Double]] = [:]
for (noise, label) in [(0.002, "high"), (0.005, "mid"), (0.0125, "low")] {
    for (i, z) in MetaTrainingTasks.validationSlices.enumerated() {
        let placement = subjects ? HeadPlacement.random(coils: 32, seed: 31_000 + UInt64(i)) : nil
        let scan = try simulator.scan(slice: z, seed: 8_000 + UInt64(z), noiseLevel: noise, augment: false, placement: placement)
        let ref = CenteredFFT.rssImage(of: scan.clean)
        let measured = scan.noisy.masked(by: acquisition.mask)
        var floor = scan.clean
        for c in 0..<32 { for y in 0..<288 where acquisition.mask.acquired[y] { for x in 0..<288 { floor[c, y, x] = scan.noisy[c, y, x] } } }
        var power = 0.0, count = 0, sigma2 = 0.0
        for c in 0..<32 { for y in 0..<288 where acquisition.lattice.contains(y) { for x in 0..<288 {
            power += Double(measured[c, y, x].lengthSquared); count += 1
            sigma2 += Double((scan.noisy[c, y, x] - scan.clean[c, y, x]).lengthSquared)
        } } }
        sigma2 /= Double(count)
        let nu = sigma2 / max(power / Double(count) - sigma2, 1e-30)
        let (frame, gains) = normalised(measured)
        for g in supports {
            let system = CalibrationNormalEquations(k: measured, acs: acquisition.autoCalibrationLines, acceleration: r, geometry: g)
            let priorSystem = CalibrationNormalEquations(k: frame, acs: acquisition.autoCalibrationLines, acceleration: r, geometry: g)
            let n = system.unknowns, t = system.targets
            let theta0 = prior(g, nu: nu * priorScale)
            func error(_ w: [Complex<Float>], inFrame: Bool = false) throws -> Double {
                let kernel = try GrappaKernel(geometry: g, acceleration: r, coils: 32, lambda: 0, weights: w)
                return nrmse(inFrame ? restored(try kernel.apply(to: frame, acquisition), gains) : try kernel.apply(to: measured, acquisition), ref)
            }
            var bestPlain = (Double.infinity, 0.0), bestPrior = (Double.infinity, 0.0)
            for l in lambdas {
                if let w = solve(system.gram, system.rhs, n: n, t: t, lambda: l * system.meanDiagonal, prior: nil) {
                    let e = try error(w); if e < bestPlain.0 { bestPlain = (e, l) }
                }
                if let w = solve(priorSystem.gram, priorSystem.rhs, n: n, t: t, lambda: l * priorSystem.meanDiagonal, prior: theta0) {
                    let e = try error(w, inFrame: true); if e < bestPrior.0 { bestPrior = (e, l) }
                }
            }
            let alone = try error(theta0, inFrame: true)
            if ownKernel {
                // The kernel of this very scan's noise-free k-space (the most any prior could give).
                let own = CalibrationNormalEquations(k: scan.clean, acs: 0..<288, acceleration: r, geometry: g)
                let best = try [0.1, 1, 10, 100].map { s -> Double in
                    let w = solve(own.gram, own.rhs, n: n, t: t, lambda: nu * s * own.meanDiagonal, prior: nil)!
                    return try error(w)
                }
                print("own kernel at ν×0.1, 1, 10, 100:", best.map { String(format: "%.4f", $0) }.joined(separator: " "))
            }
            let scaled = try [1.0, 10, 100, 1000].map { try error(prior(g, nu: nu * $0), inFrame: true) }
            let key = "\(label) SNR, \(g.lines) × \(g.readout)"
            means[key, default: [0, 0, 0, 0]] = zip(means[key, default: [0, 0, 0, 0]], [nrmse(floor, ref), bestPlain.0, bestPrior.0, alone]).map { $0 + $1 / 5 }
            print(String(format: "| %d | %@ | %d × %d | %.4f | %.4f (%g) | %.4f (%g) | %.4f | ", z, label, g.lines, g.readout, nrmse(floor, ref),
                         bestPlain.0, bestPlain.1, bestPrior.0, bestPrior.1, alone)
                  + scaled.map { String(format: "%.4f", $0) }.joined(separator: " ") + " |")
            fflush(nil)
        }
    }
}
print("\n| mean of 5 slices | floor | GRAPPA, best λ_rel | ridge towards θ₀, best λ_rel | θ₀ alone |\n|---|---|---|---|---|")
for key in means.keys.sorted() { print("| \(key) | " + means[key]!.map { String(format: "%.4f", $0) }.joined(separator: " | ") + " |") }

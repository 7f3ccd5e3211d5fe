// Residual RAKI against GRAPPA and plain RAKI on simulated scans with noise-free copies
// (BENCHMARKS.md): NRMSE of the RSS image against the noise-free one for zero-filling,
// GRAPPA (default and the best λ of a grid, chosen on the noise-free image), plain RAKI,
// residual RAKI, and the oracle floor (missing lines filled with the truth).
//   raki-residual-bench VOLUME [phantom|brain] [R,R,…] [--cross-fitted] [--two-line-branch | --automatic-branch]
// phantom: Shepp–Logan phantoms on 8- and 16-loop ring arrays, 128², three noise levels;
// brain: Colin27 slices z = 60 and 90 (never z ≥ 110) through the paper's 32-loop array, 288².
import Compute
import Foundation
import GRAPPA
import MetaLearner
import MRICore
import MRIIO
import Simulation
import RAKI
import ResidualRaki

let args = CommandLine.arguments
guard args.count >= 3 else {
    print("usage: raki-residual-bench VOLUME phantom|brain [R,R,…]")
    exit(64)
}
BLASThreading.ensureSingleThreaded()
print("OpenBLAS kernel \(BLASThreading.coreName), \(Parallel.workers) workers")
let accelerations = args.count > 3 && !args[3].hasPrefix("--") ? args[3].split(separator: ",").compactMap { Int($0) } : [3, 4, 5, 6]

var scans: [(name: String, noisy: KSpace, clean: KSpace)] = []
if args[2] == "phantom" {
    for coils in [8, 16] {
        for noise in [0.002, 0.006, 0.015] {
            let sim = try PhantomSimulator(ny: 128, nx: 128, coils: coils, noiseLevel: noise, seed: UInt64(coils * 1000) + UInt64(noise * 1e4)).simulate()
            scans.append(("rings \(coils) σ \(noise)", sim.noisy, sim.clean))
        }
    }
} else {
    let volume = try NpyFile.read(args[1])
    let s = volume.header.shape
    let simulator = try BrainTaskSimulator(volume: volume.bytes, depth: s[0], height: s[1], width: s[2])
    for (z, noise) in [(60, 0.003), (90, 0.01)] {
        let scan = try simulator.scan(slice: z, seed: UInt64(z), noiseLevel: noise, augment: false)
        scans.append(("paper z=\(z) σ \(noise)", scan.noisy, scan.clean))
    }
}

func score(_ k: KSpace, _ clean: KSpace) -> Double {
    ImageMetrics.nrmse(CenteredFFT.rssImage(of: k), CenteredFFT.rssImage(of: clean))
}

let crossFitted = args.contains("--cross-fitted")
let branch = args.contains("--automatic-branch") ? Grappa.automatic
    : args.contains("--two-line-branch") ? Grappa(kernel: GrappaKernelGeometry(readout: 7, lines: 2), lambda: Grappa.defaultLambda)
    : Grappa.classic
print("residual RAKI: \(crossFitted ? "cross-fitted" : "in-sample") residuals, branch \(branch.supportDescription)")
print("| scan | R | zero-filled | GRAPPA 1e-4 | GRAPPA best λ | branch alone | RAKI | RAKI + linear path | residual RAKI (α, held-out gain) | floor |")
print("|---|---|---|---|---|---|---|---|---|---|")
for scan in scans {
    for r in accelerations {
        let acs = scan.noisy.ny >= 256 ? 32 : 24
        let acquisition = try Acquisition.uniform(ny: scan.noisy.ny, acceleration: r, acsLines: acs)
        let acquired = scan.noisy.masked(by: acquisition.mask)
        let grappa = score(try Grappa.classic.reconstruct(acquired, acquisition), scan.clean)
        let best = try [1e-5, 1e-4, 1e-3, 1e-2, 1e-1].map { lambda in
            score(try Grappa(kernel: GrappaKernelGeometry(), lambda: lambda).reconstruct(acquired, acquisition), scan.clean)
        }.min()!
        let branchAlone = score(try branch.reconstruct(acquired, acquisition), scan.clean)
        let t0 = Stopwatch()
        let raki = score(try Raki().reconstruct(acquired, acquisition), scan.clean)
        let tRaki = t0.seconds
        var withLinear = Raki.Options()
        withLinear.linearPath = true
        let rakiLinear = score(try Raki(options: withLinear).reconstruct(acquired, acquisition), scan.clean)
        let t1 = Stopwatch()
        var residualRaki = ResidualRaki(linear: branch)
        residualRaki.crossFitted = crossFitted
        let residual = try residualRaki.reconstruct(acquired, acquisition)
        let tResidual = t1.seconds
        var floor = scan.clean
        for c in 0..<floor.coils { for y in 0..<floor.ny where acquisition.mask.acquired[y] { for x in 0..<floor.nx {
            floor[c, y, x] = scan.noisy[c, y, x]
        } } }
        print(String(format: "| %@ | %d | %.4f | %.4f | %.4f | %.4f | %.4f (%.0f s) | %.4f | %.4f (α %.2f, %+.1f %%; %.0f s) | %.4f |",
                     scan.name, r, score(acquired, scan.clean), grappa, best, branchAlone, raki, tRaki, rakiLinear,
                     score(residual.kspace, scan.clean),
                     residual.shrinkage, 100 * residual.heldOutGain, tResidual, score(floor, scan.clean)))
        fflush(nil)
    }
}

import Compute
import Foundation
import GRAPPA
import MetaLearner
import MRICore
import MRIIO
import Simulation

// GRAPPA's automatic support and regularisation against the fixed default (4 × 5,
// λ_rel 1e-4) and against the oracle (the best support and λ of a grid, chosen on the
// noise-free image itself), on simulated scans whose noise-free k-space is kept. NRMSE of
// the RSS image against the noise-free RSS image; the floor fills the missing lines with
// the truth (measured lines as measured).
//
// usage: grappa-auto-bench VOLUME OUT.csv SET [--quick|--focus] [--arrays 8,12] [--noises 0.001,0.02]
//                           [--features OUT.jsonl]
//   SET: tune (Colin27 z ∈ {60, 104}, phantom seed 1: where rules were designed), dev
//        (z ∈ {70, 90}, phantom seed 3: their check before the test), test (z ∈ {115, 130,
//        145}, phantom seed 7: the reserved subject, run once for the previous rule) or final
//        (z ∈ {120, 138, 150}, phantom seed 11: reserved slices not used before).
//   real: VOLUME is a fully sampled scan, OUT unused: the automatic λ's ingredients on it
//        (RealScan.swift).
//   --transfer: also the λ chosen on the physical coils and on 8 virtual coils carried over
//        at the same λ_rel or the same absolute λ (arrays of more than 8 coils), printed.
//   --features: one JSON line per case with the oracle grid, the ACS fit's quantities and
//        the lattice-line proxy's fit and errors for every support and λ (FeatureLog), to
//        compare rules offline.

let args = CommandLine.arguments
if args.count >= 4 && args[3] == "real" {
    try realScanReport(args[1])
    exit(0)
}
if args.count >= 4 && args[3] == "vcc" {
    BLASThreading.ensureSingleThreaded()
    try virtualConjugateBench(volume: try NpyFile.read(args[1]), arguments: args)
    exit(0)
}
guard args.count >= 4, ["tune", "dev", "test", "final"].contains(args[3]) else {
    print("usage: grappa-auto-bench VOLUME OUT.csv tune|dev|test|final|real [--quick|--focus] [--arrays 8,12] [--noises 0.001,0.02] [--transfer] [--features OUT.jsonl]")
    exit(64)
}
BLASThreading.ensureSingleThreaded()
print("OpenBLAS kernel \(BLASThreading.coreName), \(Parallel.workers) workers")
let quick = args.contains("--quick")
let volume = try NpyFile.read(args[1])
let shape = volume.header.shape
let set = args[3]
let slices = ["tune": [60, 104], "dev": [70, 90], "test": [115, 130, 145], "final": [120, 138, 150]][set]!
let phantomSeed: UInt64 = ["tune": 1, "dev": 3, "test": 7, "final": 11][set]!
let features = args.firstIndex(of: "--features").map { FeatureLog(path: args[$0 + 1]) }
let focus = args.contains("--focus")
let arrays = args.firstIndex(of: "--arrays").map { args[$0 + 1].split(separator: ",").map { Int($0)! } }
    ?? (quick ? [8, 32] : focus ? [8, 12] : [8, 12, 20, 32])
let noises = args.firstIndex(of: "--noises").map { args[$0 + 1].split(separator: ",").map { Double($0)! } }
    ?? (quick ? [0.002, 0.01] : focus ? [0.001, 0.003, 0.02] : [0.001, 0.003, 0.008, 0.02])
let rates = quick ? [2, 4, 6] : focus ? [3, 4, 6] : [2, 3, 4, 5, 6]
let acsSizes = quick ? [32] : focus ? [24, 48] : [24, 32, 48]
let lambdas = stride(from: -6.0, through: 2.01, by: 0.5).map { pow(10, $0) }
let supports = GrappaSelection.candidates

struct Scan { let name: String; let noisy: KSpace; let clean: KSpace }
func scans(coils: Int, noise: Double) throws -> [Scan] {
    let array = PaperCoilArray.rings(coils: coils)
    let simulator = try BrainTaskSimulator(volume: volume.bytes, depth: shape[0], height: shape[1], width: shape[2],
                                           matrix: 224, array: array)
    var out = try slices.map { z in
        let s = try simulator.scan(slice: z, seed: (set == "tune" ? 3_000 : 7_000) + UInt64(z * 100 + coils), noiseLevel: noise, augment: true)
        return Scan(name: "brain z=\(z)", noisy: s.noisy, clean: s.clean)
    }
    var phantom = PhantomSimulator(ny: 224, nx: 224, coils: coils, noiseLevel: noise, seed: phantomSeed)
    phantom.objectScale = 0.8
    let p = try phantom.simulate()
    out.append(Scan(name: "phantom", noisy: p.noisy, clean: p.clean))
    return out
}

func nrmse(_ k: KSpace, _ reference: RealImage) -> Double { ImageMetrics.nrmse(CenteredFFT.rssImage(of: k), reference) }

var csv = "array,scan,noise,R,acs,sigma2_true,floor,default,auto,auto_support,auto_lambda,oracle,oracle_support,oracle_lambda,oracle_4x5,proxies_lambda,sigma2_estimated\n"
var worst = 0.0
for coils in arrays {
    for noise in noises {
        for scan in try scans(coils: coils, noise: noise) {
            let reference = CenteredFFT.rssImage(of: scan.clean)
            if let dump = ProcessInfo.processInfo.environment["GRAPPA_AUTO_DUMP"] {
                let name = "\(dump)/\(coils)-\(scan.name.replacingOccurrences(of: " ", with: ""))-\(noise)"
                try NpyFile.write(scan.noisy, to: name + "-noisy.npy")
                try NpyFile.write(scan.clean, to: name + "-clean.npy")
                continue
            }
            var trueNoise = 0.0
            for i in 0..<scan.noisy.data.count { trueNoise += Double((scan.noisy.data[i] - scan.clean.data[i]).lengthSquared) }
            trueNoise /= Double(scan.noisy.data.count)
            for r in rates {
                for acs in acsSizes {
                    let acquisition = try Acquisition.uniform(ny: scan.noisy.ny, acceleration: r, acsLines: acs)
                    let measured = scan.noisy.masked(by: acquisition.mask)
                    var floor = scan.clean
                    for c in 0..<floor.coils { for y in 0..<floor.ny where acquisition.mask.acquired[y] { for x in 0..<floor.nx {
                        floor[c, y, x] = scan.noisy[c, y, x]
                    } } }
                    let fixed = Grappa(kernel: .init(), lambda: Grappa.defaultLambda)
                    let defaultError = nrmse(try fixed.reconstruct(measured, acquisition), reference)
                    let selection = try GrappaSelection(measured, acquisition, support: .automatic, lambda: .automatic)
                    let autoError = nrmse(try Grappa.automatic.reconstruct(measured, acquisition), reference)
                    // The previous rule: λ as well as the support from the proxies (their λ_rel on the
                    // tested coils, used as is), the classic kernel where they prefer a vanishing one.
                    let proxies = selection.scores.first.flatMap { $0.lambda < GrappaSelection.decades.last! ? $0 : nil }
                    let proxiesError = nrmse(try Grappa(kernel: proxies?.geometry ?? GrappaKernelGeometry(),
                                                        lambda: proxies?.lambda ?? Grappa.defaultLambda)
                                                .reconstruct(measured, acquisition), reference)
                    // --transfer: λ chosen on the physical coils, or on 8 virtual coils carried over at
                    // the same λ_rel or the same absolute λ (the rule), for the chosen support.
                    var transfer: [Double] = []
                    if args.contains("--transfer") && coils > 8 {
                        let noise = try GrappaSelection.estimatedNoiseVariance(measured, acquisition)
                        let physical = try GrappaSelection.leastRiskRegularization(measured, acquisition, geometry: selection.geometry, noise: noise)
                        let virtual = try CoilCompression(fitting: measured, lines: acquisition.autoCalibrationLines, virtualCoils: 8).compress(measured)
                        let v = try GrappaSelection.leastRiskRegularization(virtual, acquisition, geometry: selection.geometry, noise: noise)
                        for lambda in [physical.relative, v.relative, v.relative * v.meanDiagonal / physical.meanDiagonal] {
                            transfer.append(nrmse(try Grappa(kernel: selection.geometry, lambda: lambda).reconstruct(measured, acquisition), reference))
                        }
                    }
                    var best = (Double.infinity, GrappaKernelGeometry(), 0.0)
                    var best45 = Double.infinity
                    var grid: [String: Double] = [:]
                    for support in supports where acs >= support.minimumACSLines(acceleration: r) {
                        for lambda in lambdas {
                            guard let out = try? Grappa(kernel: support, lambda: lambda).reconstruct(measured, acquisition) else { continue }
                            let e = nrmse(out, reference)
                            grid["\(support.lines)x\(support.readout)|\(lambda)"] = e
                            if e < best.0 { best = (e, support, lambda) }
                            if support == GrappaKernelGeometry() { best45 = min(best45, e) }
                        }
                    }
                    worst = max(worst, autoError / best.0)
                    try features?.record(case: ["coils": coils, "scan": scan.name, "noise": noise, "R": r, "acs": acs,
                                                "floor": nrmse(floor, reference), "default": defaultError, "auto": autoError,
                                                "auto_choice": "\(selection.geometry.lines)x\(selection.geometry.readout)|\(selection.lambda)",
                                                "grid": grid],
                                         noisy: scan.noisy, clean: scan.clean, acquisition: acquisition, lambdas: lambdas)
                    let line = "\(coils),\(scan.name),\(noise),\(r),\(acs),\(trueNoise),"
                        + String(format: "%.5f,%.5f,%.5f,", nrmse(floor, reference), defaultError, autoError)
                        + "\(selection.geometry.lines)x\(selection.geometry.readout),\(selection.lambda),"
                        + String(format: "%.5f,", best.0) + "\(best.1.lines)x\(best.1.readout),\(best.2)," + String(format: "%.5f,%.5f,", best45, proxiesError)
                        + (selection.noiseVariance.map { "\($0)" } ?? "")
                    csv += line + "\n"
                    print(line, String(format: "auto/oracle %.3f", autoError / best.0)
                          + (transfer.isEmpty ? "" : String(format: " transfer physical/virtual-relative/virtual-absolute %.3f %.3f %.3f",
                                                            transfer[0] / best.0, transfer[1] / best.0, transfer[2] / best.0)))
                    fflush(nil)
                }
            }
        }
    }
}
try csv.write(toFile: args[2], atomically: true, encoding: .utf8)
try features?.close()
print(String(format: "worst auto/oracle %.3f", worst))

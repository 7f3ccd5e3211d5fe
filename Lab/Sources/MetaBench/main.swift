import Compute
import Foundation
import GRAPPA
import MetaLearner
import MetaTraining
import MRICore
import MRIIO
import Simulation
import RAKI
import Reporting

// The paper's comparison on the paper's protocol: reserved Colin27 slices
// (z ≥ 110, never used for training, validation or tuning) of the 32-loop array at R = 4 (--accel),
// 32 ACS, at three noise levels. GRAPPA's λ and the SGD ablation's step are chosen on the
// validation slices (z ∈ [100, 110)) per noise level, then applied to the test slices.
//
// usage: meta-bench VOLUME PAPER_MODEL RESIDUAL_MODEL|- OUT_DIR [--raki-slices 110,130,150] [--subjects] [--accel R]
//   --accel: the acceleration (default 4; the models must be meta-trained for it).
//   --subjects: every validation and test scan puts the array on a fresh subject of its own
//   (HeadPlacement.random, seeds no training run uses), as different heads in one coil would.

let args = CommandLine.arguments
guard args.count >= 5 else {
    print("usage: meta-bench VOLUME PAPER_MODEL RESIDUAL_MODEL|- OUT_DIR [--raki-slices z,z,…] [--subjects] [--accel R]")
    exit(64)
}
print("OpenBLAS kernel \(BLASThreading.coreName), \(Parallel.workers) workers")
BLASThreading.ensureSingleThreaded()
let volume = try NpyFile.read(args[1])
let shape = volume.header.shape
let simulator = try BrainTaskSimulator(volume: volume.bytes, depth: shape[0], height: shape[1], width: shape[2])
// RESIDUAL_MODEL "-": no residual model (its rows are left out, and the branch probe refused;
// `residual` is then never read).
let paper = try MetaModel.read(args[2]), residualModel = args[3] == "-" ? nil : try MetaModel.read(args[3])
let residual = residualModel ?? paper
if residualModel == nil && ProcessInfo.processInfo.environment["META_BENCH_BRANCH_PROBE"] != nil {
    print("META_BENCH_BRANCH_PROBE probes the residual model: give one instead of -")
    exit(64)
}
let outDir = args[4]
try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
let rakiSlices: Set<Int> = args.firstIndex(of: "--raki-slices").map { Set(args[$0 + 1].split(separator: ",").compactMap { Int($0) }) } ?? [110, 130, 150]

let subjects = args.contains("--subjects")
let noiseLevels: [(String, Double)] = [("high SNR", 0.002), ("mid SNR", 0.005), ("low SNR", 0.0125)]
let testSlices = Array(stride(from: 110, through: 155, by: 5))
let validationSlices = MetaTrainingTasks.validationSlices
let acceleration = args.firstIndex(of: "--accel").flatMap { Int(args[$0 + 1]) } ?? 4
let mask = try Acquisition.uniform(ny: 288, acceleration: acceleration, acsLines: 32)
let lambdas = [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1]
let figureSlice = 130
let sgdRates: [Float] = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]

struct Scan { let z: Int; let noisy: KSpace; let clean: RealImage; let noisyRef: RealImage }
func scans(_ slices: [Int], noise: Double, seedBase: UInt64) throws -> [Scan] {
    try slices.map { z in
        let placement = subjects ? HeadPlacement.random(coils: simulator.coils, seed: 1_000_000 + seedBase + UInt64(z)) : nil
        let s = try simulator.scan(slice: z, seed: seedBase + UInt64(z), noiseLevel: noise, augment: false, placement: placement)
        return Scan(z: z, noisy: s.noisy, clean: CenteredFFT.rssImage(of: s.clean), noisyRef: CenteredFFT.rssImage(of: s.noisy))
    }
}
func nrmse(_ k: KSpace, _ s: Scan) -> (clean: Double, noisy: Double) {
    let image = CenteredFFT.rssImage(of: k)
    return (ImageMetrics.nrmse(image, s.clean), ImageMetrics.nrmse(image, s.noisyRef))
}
// Scans of the paper array that the fingerprint check would refuse (false refusals);
// they are reconstructed anyway so that every method has a number on every slice.
nonisolated(unsafe) var falseRefusals: [String] = []
// The residual model with another λ for its linear branch (the learner and Φ unchanged).
let branchLambdas = [1e-3, 3e-3, 1e-2, 3e-2, 0.1]
func residual(branch l: Double) throws -> MetaModel {
    try MetaModel(variant: residual.variant, learner: residual.learner, metaLearner: residual.metaLearner,
                  initialParameters: residual.initialParameters, array: residual.array,
                  linearBranchLambda: l, acsReadoutWindow: residual.acsReadoutWindow)
}
func meta(_ model: MetaModel, _ s: Scan, rule: MetaLearnerLSTM.UpdateRule = .learned,
          subtractZeroResponse: Bool = true, branch: GrappaLambda? = nil) throws -> KSpace {
    var m = MetaGrappa(model: model)
    m.branchLambda = branch
    m.rule = rule
    m.subtractZeroResponse = subtractZeroResponse
    let acquired = s.noisy.masked(by: mask.mask)
    do { try m.validate(acquired, mask) } catch { falseRefusals.append("z=\(s.z): \(error)") }
    m.allowOtherArray = true
    return try m.reconstruct(acquired, mask)
}

// The coil-array fingerprint: distances of various scans from the paper model's profile.
do {
    let profile = paper.array
    let acs = 128..<160
    let shared = try NpyFile.readKSpace(URL(fileURLWithPath: args[1]).deletingLastPathComponent()
        .appendingPathComponent("sim_brain_32ch_288x288_ch2.npy").path).kspace
    func permuted(_ k: KSpace, _ order: (Int) -> Int) -> KSpace {
        var out = k
        let plane = k.ny * k.nx
        for c in 0..<k.coils { for i in 0..<plane { out.data[c * plane + i] = k.data[order(c) * plane + i] } }
        return out
    }
    var phantomPaper = PhantomSimulator(ny: 288, nx: 288, coils: 32, seed: 1)
    phantomPaper.array = .paper
    let cases: [(String, KSpace)] = [
        ("shared simulated slice (paper array, z = 95)", shared),
        ("test slice z = 130, unaugmented", try simulator.scan(slice: 130, seed: 1, noiseLevel: 0.005, augment: false).noisy),
        ("test slice z = 155 (top of the head), low SNR", try simulator.scan(slice: 155, seed: 1, noiseLevel: 0.0125, augment: false).noisy),
        ("same, coils permuted (c → 5c mod 32)", permuted(shared) { ($0 * 5) % 32 }),
        ("same, rings swapped (c → c + 8 mod 32)", permuted(shared) { ($0 + 8) % 32 }),
        ("same, labels rotated within rings by one", permuted(shared) { 8 * ($0 / 8) + ($0 + 1) % 8 }),
        ("Shepp–Logan, paper array (simulate --array paper)", try phantomPaper.simulate().noisy),
        ("test slice z = 130 on another subject (HeadPlacement seed 1)",
         try simulator.scan(slice: 130, seed: 1, noiseLevel: 0.005, augment: false, placement: .random(coils: 32, seed: 1)).noisy),
        ("test slice z = 130 on another subject (HeadPlacement seed 2)",
         try simulator.scan(slice: 130, seed: 1, noiseLevel: 0.005, augment: false, placement: .random(coils: 32, seed: 2)).noisy),
        ("Shepp–Logan, 32 loops in 4 rings (simulate --coils 32)", try PhantomSimulator(ny: 288, nx: 288, coils: 32, seed: 1).simulate().noisy),
    ]
    var table = String(format: "Least accepted coil-neighbour agreement %.2f\n\n| scan | agreement | accepted |\n|---|---|---|\n", profile.minimumAgreement)
    for (name, k) in cases {
        let a = profile.agreement(with: CoilArrayProfile.signature(of: k, acs: acs))
        table += String(format: "| %@ | %.2f | %@ |\n", name, a, a >= profile.minimumAgreement ? "yes" : "no")
    }
    print(table)
    try table.write(toFile: outDir + "/fingerprint.md", atomically: true, encoding: .utf8)
}

var markdown = "| noise | method | mean NRMSE vs noise-free | mean NRMSE vs noisy | slices better than GRAPPA | mean seconds |\n|---|---|---|---|---|---|\n"
var perSlice = "noise,z,method,nrmse_clean,nrmse_noisy,seconds\n"
for (label, noise) in noiseLevels {
    let validation = try scans(validationSlices, noise: noise, seedBase: 50_000)
    // META_BENCH_ZERO_PROBE=1: the learner's zero-input offset removed or not, on the
    // validation slices only; the test slices are not touched.
    if ProcessInfo.processInfo.environment["META_BENCH_ZERO_PROBE"] != nil {
        for (name, model) in [("paper", paper)] + (residualModel.map { [("residual", $0)] } ?? []) {
            let mean = { (z: Bool) in try validation.reduce(0.0) { $0 + nrmse(try meta(model, $1, subtractZeroResponse: z), $1).clean } / Double(validation.count) }
            print(String(format: "%@ %@: validation NRMSE %.4f as trained, %.4f with f(x) − f(0)", label, name, try mean(false), try mean(true)))
        }
        continue
    }
    // META_BENCH_BRANCH_PROBE=1: how the residual variant depends on its linear branch's λ
    // (fixed at meta-training), on the validation slices only, next to GRAPPA at each λ.
    if ProcessInfo.processInfo.environment["META_BENCH_BRANCH_PROBE"] != nil {
        for l in branchLambdas {
            let r = try validation.reduce(0.0) { $0 + nrmse(try meta(residual(branch: l), $1), $1).clean } / Double(validation.count)
            let g = try validation.reduce(0.0) { $0 + nrmse(try Grappa(kernel: .init(), lambda: l).reconstruct($1.noisy.masked(by: mask.mask), mask), $1).clean } / Double(validation.count)
            print(String(format: "%@ λ %.0e: validation NRMSE residual %.4f, GRAPPA 4×5 %.4f", label, l, r, g))
        }
        let automatic = try validation.reduce(0.0) { $0 + nrmse(try meta(residual, $1, branch: .automatic), $1).clean } / Double(validation.count)
        let shipped = try validation.reduce(0.0) { $0 + nrmse(try meta(residual, $1), $1).clean } / Double(validation.count)
        let grappa = try validation.reduce(0.0) { $0 + nrmse(try Grappa.automatic.reconstruct($1.noisy.masked(by: mask.mask), mask), $1).clean } / Double(validation.count)
        print(String(format: "%@: validation NRMSE residual with its own λ %.4f, with the branch λ automatic %.4f; GRAPPA automatic %.4f",
                     label, shipped, automatic, grappa))
        continue
    }
    // GRAPPA's best λ and the SGD ablation's best step, on validation only.
    let bestLambda = try lambdas.min { a, b in
        let f = { (l: Double) in try validation.reduce(0.0) { $0 + nrmse(try Grappa(kernel: .init(), lambda: l).reconstruct($1.noisy.masked(by: mask.mask), mask), $1).clean } }
        return try f(a) < f(b)
    }!
    let bestRate = try sgdRates.min { a, b in
        let f = { (r: Float) in try validation.reduce(0.0) { $0 + nrmse(try meta(paper, $1, rule: .gradientDescent(rate: r)), $1).clean } }
        return try f(a) < f(b)
    }!
    // The residual variant's branch λ, chosen on validation like GRAPPA's (the shipped model's is fixed).
    let bestBranch = residualModel == nil ? 0 : try branchLambdas.min { a, b in
        let f = { (l: Double) in try validation.reduce(0.0) { $0 + nrmse(try meta(residual(branch: l), $1), $1).clean } }
        return try f(a) < f(b)
    }!
    print("\(label): GRAPPA λ = \(bestLambda), SGD step = \(bestRate), residual branch λ = \(bestBranch) (chosen on validation)")
    let test = try scans(testSlices, noise: noise, seedBase: 70_000)
    var results: [String: [(Double, Double, Double)]] = [:]
    var order: [String] = []
    var figureRows: [ComparisonFigure.Row] = []
    func record(_ name: String, _ s: Scan, _ body: () throws -> KSpace) rethrows {
        let t = Date()
        let k = try body()
        if s.z == figureSlice {
            if figureRows.isEmpty { figureRows.append(.init(label: "NOISE-FREE REFERENCE", image: s.clean, error: nil)) }
            let image = CenteredFFT.rssImage(of: k)
            figureRows.append(.init(label: String(format: "%@  %.4f", name.uppercased(), ImageMetrics.nrmse(image, s.clean)),
                                    image: image, error: ComparisonFigure.absoluteError(image, s.clean)))
        }
        let seconds = Date().timeIntervalSince(t)
        let e = nrmse(k, s)
        if results[name] == nil { order.append(name) }
        results[name, default: []].append((e.clean, e.noisy, seconds))
        perSlice += String(format: "%@,%d,\"%@\",%.5f,%.5f,%.3f\n", label, s.z, name, e.clean, e.noisy, seconds)  // names hold commas
    }
    for s in test {
        record("zero-filled", s) { s.noisy.masked(by: mask.mask) }
        try record(String(format: "GRAPPA 4×5, λ=%g", bestLambda), s) { try Grappa(kernel: .init(), lambda: bestLambda).reconstruct(s.noisy.masked(by: mask.mask), mask) }
        try record("GRAPPA 4×5, λ=1e-4 (classic)", s) { try Grappa(kernel: .init(), lambda: Grappa.defaultLambda).reconstruct(s.noisy.masked(by: mask.mask), mask) }
        try record("GRAPPA, automatic support and λ", s) { try Grappa.automatic.reconstruct(s.noisy.masked(by: mask.mask), mask) }
        try record("meta paper", s) { try meta(paper, s) }
        try record(String(format: "ablation: paper θ₀, SGD step %g, same T", bestRate), s) { try meta(paper, s, rule: .gradientDescent(rate: bestRate)) }
        try record("ablation: paper θ₀, no update (T=0)", s) { try meta(paper, s, rule: .gradientDescent(rate: 0)) }
        if residualModel != nil {
            try record("meta residual", s) { try meta(residual, s) }
            try record("meta residual, branch λ automatic", s) { try meta(residual, s, branch: .automatic) }
            try record(String(format: "meta residual, branch λ=%g (tuned)", bestBranch), s) { try meta(residual(branch: bestBranch), s) }
        }
        if rakiSlices.contains(s.z) {
            try record("RAKI (z ∈ \(rakiSlices.sorted()))", s) { try Raki().reconstruct(s.noisy.masked(by: mask.mask), mask) }
        }
        print("z=\(s.z) \(label) done")
    }
    let figure = ComparisonFigure.render(figureRows, window: figureRows[0].image.pixels.max() ?? 1, errorScale: 10,
                                         crop: ComparisonFigure.objectBounds(figureRows[0].image))
    try PNGWriter.write(figure, to: outDir + "/figure-z\(figureSlice)-" + label.replacingOccurrences(of: " ", with: "-") + ".png")
    let grappaName = order[1]
    let grappa = results[grappaName]!
    for name in order {
        let r = results[name]!
        let mean = { (f: ((Double, Double, Double)) -> Double) in r.map(f).reduce(0, +) / Double(r.count) }
        let wins = name.hasPrefix("RAKI") ? "–" : "\(zip(r, grappa).filter { $0.0.0 < $0.1.0 }.count)/\(r.count)"
        markdown += String(format: "| %@ | %@ | %.4f | %.4f | %@ | %.3f |\n", label, name, mean { $0.0 }, mean { $0.1 }, wins, mean { $0.2 })
    }
}
markdown += "\nFingerprint refusals of paper-array scans (validation and test, all methods' calls): \(falseRefusals.count)\n"
for r in Set(falseRefusals).sorted() { markdown += "* \(r)\n" }
try markdown.write(toFile: outDir + "/summary.md", atomically: true, encoding: .utf8)
try perSlice.write(toFile: outDir + "/per-slice.csv", atomically: true, encoding: .utf8)
print(markdown)

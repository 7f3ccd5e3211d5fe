// The sparse reconstruction's error against λ on simulated paper-array brain slices with a
// noise-free truth, with the features a per-scan rule for λ could use. One JSON object per
// scan on stdout.
//   cs-lambda-sweep --slices 30 50 70 --noise 0.002 0.005 0.0125 --accel 2 3 4 6 8
import CoilSensitivity
import CompressedSensing
import Compute
import Foundation
@_spi(Lab) import GRAPPA
import MRICore
import Simulation

func values(_ flag: String, _ fallback: [Double]) -> [Double] {
    let args = CommandLine.arguments
    guard let at = args.firstIndex(of: flag) else { return fallback }
    return args[(at + 1)...].prefix { !$0.hasPrefix("--") }.compactMap(Double.init)
}

let slices = values("--slices", [30, 50, 70]).map { Int($0) }
let noises = values("--noise", [0.002, 0.005, 0.0125])
let accelerations = values("--accel", [2, 3, 4, 6, 8]).map { Int($0) }
let lambdas = values("--lambdas", [0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.006, 0.009, 0.013, 0.02, 0.03]).map { Float($0) }
let iterations = Int(values("--iterations", [100])[0])
let seedBase = UInt64(values("--seed", [5000])[0])
let acsLines = 32

let volume = try BrainVolume.colin27()
let simulator = try BrainTaskSimulator(volume: volume)
for z in slices {
    precondition(z < 110, "Colin27 z ≥ 110 is reserved")
    for (n, noise) in noises.enumerated() {
        let scan = try simulator.scan(slice: z, seed: seedBase + UInt64(z * 10 + n), noiseLevel: noise, augment: false)
        for r in accelerations {
            let acquisition = try Acquisition.uniform(ny: scan.noisy.ny, acceleration: r, acsLines: acsLines)
            let measured = scan.noisy.masked(by: acquisition.keptLines)
            let clock = Stopwatch()
            let sigma2 = try GrappaRegularizationRisk.noiseVariance(measured, acquisition)
            let noiseSeconds = clock.seconds
            let compression = try CoilCompression(fitting: measured, lines: acquisition.autoCalibrationLines,
                                                  virtualCoils: min(measured.coils, SparseSenseReconstruction.largestCoilCount))
            let k = compression.compress(measured), clean = compression.compress(scan.clean)
            let maps = try Espirit().maps(of: k, calibrationLines: acquisition.autoCalibrationLines)
            let a = SenseOperator(maps: maps, measured: acquisition.mask.acquired)
            let aty = a.adjoint(k)
            let truth = maps.combine(CenteredFFT.image(from: clean))
            let truthNorm = truth.reduce(Float(0)) { $0 + $1.lengthSquared }.squareRoot()
            let scale = SparseSenseReconstruction.dataScale(k, acquisition)
            var errors: [Double] = []
            for lambda in lambdas {
                var solver = SparseSense(lambda: lambda * scale)
                solver.iterations = iterations
                let x = solver.solve(a, adjointData: aty).image
                var e: Float = 0
                for i in x.indices { e += (x[i] - truth[i]).lengthSquared }
                errors.append(Double(e.squareRoot() / truthNorm))
            }
            let best = errors.indices.min { errors[$0] < errors[$1] }!
            let record: [String: Any] = [
                "slice": z, "noise": noise, "R": r, "coils": measured.coils, "ny": k.ny, "nx": k.nx,
                "measured_fraction": Double(acquisition.mask.acquiredCount) / Double(k.ny),
                "sigma2": sigma2, "noise_seconds": noiseSeconds, "scale": Double(scale),
                "lambdas": lambdas.map(Double.init), "nrmse": errors, "best_lambda": Double(lambdas[best]), "best_nrmse": errors[best],
            ]
            let json = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
            fflush(nil)
        }
    }
}

// RAKI variants that the CLI does not expose, measured on one scan: the default network,
// a linear one (identity activations), one without biases, and other ACS scalings; with
// GRAPPA of the same support (3 lines × 7 readout) for comparison.
// Usage: raki-probe INPUT.npy R ACS [ITERATIONS]
import Compute
import Foundation
import GRAPPA
import MRICore
import MRIIO
import RAKI

let args = CommandLine.arguments
guard args.count >= 4, let r = Int(args[2]), let acs = Int(args[3]) else {
    FileHandle.standardError.write(Data("usage: raki-probe INPUT.npy R ACS [ITERATIONS]\n".utf8))
    exit(64)
}
let iterations = args.count > 4 ? Int(args[4]) ?? 1000 : 1000
do {
    let (full, _) = try NpyFile.readKSpace(args[1])
    let mask = try Acquisition.uniform(ny: full.ny, acceleration: r, acsLines: acs)
    let acquired = full.masked(by: mask.mask)
    let reference = CenteredFFT.rssImage(of: full)
    func score(_ k: KSpace) -> Double { ImageMetrics.nrmse(CenteredFFT.rssImage(of: k), reference) }
    var variants: [(String, Raki.Options)] = []
    var base = Raki.Options()
    base.iterations = iterations
    base.plateauWindow = iterations
    variants.append(("default (ReLU, biases, max|ACS| = 1)", base))
    if ProcessInfo.processInfo.environment["RAKI_PROBE_WHITENING_ONLY"] == nil {
    var linear = base
    linear.linear = true
    variants.append(("linear (identity activations)", linear))
    var noBias = base
    noBias.bias = false
    variants.append(("no biases", noBias))
    for peak: Float in [0.015, 10] {
        var scaled = base
        scaled.acsPeak = peak
        variants.append(("max|ACS| scaled to \(peak)", scaled))
    }
    }
    // Ridges of the first layer's input whitening: RAKI_PROBE_RIDGES=0.1,1 (default 0.1, 0.01, 0.001).
    let ridges = (ProcessInfo.processInfo.environment["RAKI_PROBE_RIDGES"] ?? "0.1,0.01,0.001")
        .split(separator: ",").compactMap { Float($0) }
    for ridge in ridges {
        var whitened = base
        whitened.whiteningRidge = ridge
        variants.append(("first-layer input whitened, ridge \(ridge)", whitened))
        whitened.bias = false
        variants.append(("whitened, ridge \(ridge), no biases", whitened))
        whitened.linear = true
        whitened.bias = true
        variants.append(("linear, whitened, ridge \(ridge)", whitened))
    }
    print("OpenBLAS kernel \(BLASThreading.coreName) (RAKI's last digits depend on it)")
    print("| RAKI variant (\(iterations) iterations) | NRMSE | final training loss |\n|---|---|---|")
    for (name, options) in variants {
        let model = try Raki(options: options).train(acquired, mask)
        let out = try model.apply(to: acquired, mask)
        print(String(format: "| %@ | %.4f | %.3e |", name, score(out), model.finalLoss))
    }
    let grappa = try Grappa(kernel: .init(readout: 7, lines: 3), lambda: Grappa.defaultLambda).reconstruct(acquired, mask)
    print(String(format: "| GRAPPA, same support (3 lines × 7 readout) | %.4f | |", score(grappa)))
    print(String(format: "| zero-filled | %.4f | |", score(acquired)))
} catch {
    FileHandle.standardError.write(Data("raki-probe: \(error)\n".utf8))
    exit(1)
}

import Compute
import Foundation
import GRAPPA
import MRICore
import MRIIO
import Numerics

/// `grappa-auto-bench FILE - real`: the automatic λ's ingredients on a real fully sampled
/// scan (the shared 16-coil brain). The noise estimate against the variance of the coil
/// images' 6 × 6 corners, for every support on the scan's own coils and with the rule on 8
/// virtual coils; then, at R = 4…6, the expected-error λ for the classic 4 × 5 support (chosen
/// as the rule chooses it: on 8 virtual coils, carried over at the same absolute λ) against the
/// classic λ, scored against the scan itself, as measured and with 4× its noise added (the
/// measured scan is then a nearly noise-free reference).
func realScanReport(_ path: String) throws {
    let k = try KSpaceFiles.readSlice(path)
    let background = CenteredFFT.image(from: k).cornerVariance(size: 6)
    print(String(format: "%@: %d coils, %d × %d; variance of the coil images' 6 × 6 corners %.2e\n", path, k.coils, k.ny, k.nx, background))
    print("| R | ACS | noise estimate: " + GrappaSelection.candidates.map { "\($0.lines) × \($0.readout)" }.joined(separator: " | ")
          + " | the rule | the rule on 8 virtual coils |")
    print("|---|---|" + String(repeating: "---|", count: GrappaSelection.candidates.count + 2))
    for r in [2, 4, 6] {
        let acquisition = try Acquisition.uniform(ny: k.ny, acceleration: r, acsLines: 24)
        let measured = k.masked(by: acquisition.mask)
        let perSupport = try GrappaSelection.candidates.map { try GrappaSelection.estimatedNoiseVariance(measured, acquisition, geometry: $0) }
        let virtual = try CoilCompression(fitting: measured, lines: acquisition.autoCalibrationLines, virtualCoils: 8).compress(measured)
        let cells = perSupport + [try GrappaSelection.estimatedNoiseVariance(measured, acquisition),
                                  try GrappaSelection.estimatedNoiseVariance(virtual, acquisition)]
        print("| \(r) | 24 | " + cells.map { String(format: "%.2e (%.2f×)", $0, $0 / background) }.joined(separator: " | ") + " |")
    }
    print("\n| noise added | R | classic 4 × 5, λ_rel 1e-4 | 4 × 5 with the expected-error λ | its λ_rel |")
    print("|---|---|---|---|---|")
    let reference = CenteredFFT.rssImage(of: k)
    var generator = SeededGenerator(seed: 3)
    for added in [0.0, 4.0] {
        var noisy = k
        let s = (added * background / 2).squareRoot()
        for i in noisy.data.indices { noisy.data[i] += Complex(Float(s * generator.normal()), Float(s * generator.normal())) }
        for r in [4, 5, 6] {
            let acquisition = try Acquisition.uniform(ny: k.ny, acceleration: r, acsLines: 24)
            let measured = noisy.masked(by: acquisition.mask)
            let g = GrappaKernelGeometry()
            let noise = try GrappaSelection.estimatedNoiseVariance(measured, acquisition)
            let virtual = try CoilCompression(fitting: measured, lines: acquisition.autoCalibrationLines, virtualCoils: 8).compress(measured)
            let chosen = try GrappaSelection.leastRiskRegularization(virtual, acquisition, geometry: g, noise: noise)
            let physical = try GrappaSelection.leastRiskRegularization(measured, acquisition, geometry: g, noise: noise)
            let lambda = chosen.relative * chosen.meanDiagonal / physical.meanDiagonal
            func error(_ l: Double) throws -> Double {
                ImageMetrics.nrmse(CenteredFFT.rssImage(of: try Grappa(kernel: g, lambda: l).reconstruct(measured, acquisition)), reference)
            }
            print(String(format: "| %.0f× | %d | %.4f | %.4f | %.2g |", added, r, try error(Grappa.defaultLambda), try error(lambda), lambda))
        }
    }
}

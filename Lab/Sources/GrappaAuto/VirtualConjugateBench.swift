import Compute
import Foundation
@_spi(Lab) import GRAPPA
import MRICore
import MRIIO
import Simulation

/// `grappa-auto-bench VOLUME OUT.csv vcc [--slices 60,80,100,104] [--rates 4,6] [--arrays 8,12]
/// [--noises …] [--real FILE.npy,…] [--plain-oracle-only]
/// [--seed-base N]`: virtual conjugate coils against the plain kernel. Per case the
/// oracle over support × λ without and with them (chosen on the noise-free RSS image), the
/// automatic choice with them off, forced on and chosen per scan, and the expected errors the
/// choice compares. Scans: Colin27 slices through the paper's 32-loop array at 288² (ACS 32,
/// unaugmented, as the summary table of BENCHMARKS.md), and with --arrays the ring arrays at
/// 224² plus a phantom; --real: fully sampled real scans scored against their own RSS image.
func virtualConjugateBench(volume: NpyArray, arguments args: [String]) throws {
    let list = { (flag: String) in args.firstIndex(of: flag).map { args[$0 + 1].split(separator: ",").map(String.init) } }
    let slices = (list("--slices") ?? ["60", "80", "100", "104"]).compactMap { Int($0) }  // "none": no brain slices
    let rates = (list("--rates") ?? ["4", "6"]).map { Int($0)! }
    let noises = (list("--noises") ?? ["0.002", "0.005", "0.0125"]).map { Double($0)! }
    let arrays = (list("--arrays") ?? []).map { Int($0)! }
    let reals = list("--real") ?? []
    // --seed-base 70000: the noise of meta-bench's test scans (BENCHMARKS.md's summary table).
    let seedBase = UInt64((list("--seed-base") ?? ["9000"])[0])!
    let lambdas = stride(from: -6.0, through: 2.01, by: 0.5).map { pow(10, $0) }
    let shape = volume.header.shape
    struct Case { let name: String; let noisy: KSpace; let clean: KSpace }
    var cases: [Case] = []
    let paper = try BrainTaskSimulator(volume: volume.bytes, depth: shape[0], height: shape[1], width: shape[2])
    for noise in noises {
        for z in slices {
            let s = try paper.scan(slice: z, seed: seedBase + UInt64(z), noiseLevel: noise, augment: false)
            cases.append(Case(name: "paper32 z=\(z) σ=\(noise)", noisy: s.noisy, clean: s.clean))
        }
        for coils in arrays {
            let sim = try BrainTaskSimulator(volume: volume.bytes, depth: shape[0], height: shape[1], width: shape[2], matrix: 224,
                                             array: PaperCoilArray.rings(coils: coils))
            for z in slices.prefix(2) {
                let s = try sim.scan(slice: z, seed: 9_500 + UInt64(z * 100 + coils), noiseLevel: noise, augment: true)
                cases.append(Case(name: "rings\(coils) z=\(z) σ=\(noise)", noisy: s.noisy, clean: s.clean))
            }
            var phantom = PhantomSimulator(ny: 224, nx: 224, coils: coils, noiseLevel: noise, seed: 5)
            phantom.objectScale = 0.8
            let p = try phantom.simulate()
            cases.append(Case(name: "phantom\(coils) σ=\(noise)", noisy: p.noisy, clean: p.clean))
        }
    }
    for path in reals {
        let k = try NpyFile.readKSpace(path).kspace
        cases.append(Case(name: URL(fileURLWithPath: path).lastPathComponent, noisy: k, clean: k))
    }
    // Written as it goes: a long run stopped early keeps its cases.
    let header = "case,R,oracle_off,oracle_off_setting,oracle_on,oracle_on_setting,auto_off,auto_on,auto,auto_choice,risk_off,risk_on,proxy_off,proxy_on\n"
    try header.write(toFile: args[2], atomically: true, encoding: .utf8)
    let csv = try FileHandle(forWritingTo: URL(fileURLWithPath: args[2]))
    defer { try? csv.close() }
    csv.seekToEndOfFile()
    for item in cases {
        let reference = CenteredFFT.rssImage(of: item.clean)
        let nrmse = { (k: KSpace) in ImageMetrics.nrmse(CenteredFFT.rssImage(of: k), reference) }
        for r in rates {
            let acquisition = try Acquisition.uniform(ny: item.noisy.ny, acceleration: r, acsLines: min(32, item.noisy.ny / 4))
            let measured = item.noisy.masked(by: acquisition.mask)
            var oracle: [GrappaVirtualConjugate: (error: Double, setting: String)] = [:]
            for mode in args.contains("--plain-oracle-only") ? [GrappaVirtualConjugate.off] : [.off, .on] {
                var best = (Double.infinity, "")
                for support in GrappaSelection.candidates {
                    for lambda in lambdas {
                        var g = Grappa(kernel: support, lambda: lambda)
                        g.virtualConjugate = mode
                        guard let out = try? g.reconstruct(measured, acquisition) else { continue }
                        let e = nrmse(out)
                        if e < best.0 { best = (e, "\(support.lines)x\(support.readout) λ\(lambda)") }
                    }
                }
                oracle[mode] = best
            }
            var auto: [GrappaVirtualConjugate: Double] = [:]
            var choices: [GrappaVirtualConjugate: GrappaSelection] = [:]
            let scale = IntensityScale(of: measured, acquisition)
            for mode in GrappaVirtualConjugate.allCases {
                var g = Grappa.automatic
                g.virtualConjugate = mode
                auto[mode] = nrmse(try g.reconstruct(measured, acquisition))
                choices[mode] = try g.select(scale.normalized(measured), acquisition, noiseVariance: nil)
            }
            let chosen = choices[.automatic]!
            let number = { (x: Double?) -> String in x.map { String(format: "%.5g", $0) } ?? "" }
            let choice = "\(chosen.virtualConjugate ? "on" : "off") \(chosen.geometry.lines)x\(chosen.geometry.readout) λ\(String(format: "%.2g", chosen.lambda))"
            var fields: [String] = [item.name, "\(r)", number(oracle[.off]!.error), oracle[.off]!.setting, number(oracle[.on]?.error), oracle[.on]?.setting ?? ""]
            fields += [number(auto[.off]!), number(auto[.on]!), number(auto[.automatic]!), choice]
            fields += [number(choices[.off]!.expectedError), number(choices[.on]!.expectedError)]
            fields += [number(choices[.off]!.scores.first?.error), number(choices[.on]!.scores.first?.error)]
            csv.write(Data((fields.joined(separator: ",") + "\n").utf8))
            let o = oracle[.off]!.error
            print(item.name, "R=\(r)", String(format: "oracle on/off %.3f | auto off %.3f on %.3f auto %.3f (of the plain oracle)",
                                                 (oracle[.on]?.error ?? .nan) / o, auto[.off]! / o, auto[.on]! / o, auto[.automatic]! / o),
                  fields[9], "risk off/on", fields[10], fields[11], "proxy off/on", fields[12], fields[13])
            fflush(nil)
        }
    }
}

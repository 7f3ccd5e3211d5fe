// Times each stage of a GRAPPA reconstruction in one process, repeated, and prints
// one line per stage: name, min and median milliseconds.
// Usage: grappa-bench INPUT.npy [R] [ACS] [REPEATS]
import Compute
import Dispatch
import Foundation
import GRAPPA
import MRICore
import MRIIO

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: grappa-bench INPUT.npy [R] [ACS] [REPEATS]\n".utf8))
    exit(64)
}
let input = args[1]
let r = args.count > 2 ? Int(args[2]) ?? 4 : 4
let acs = args.count > 3 ? Int(args[3]) ?? 32 : 32
let repeats = args.count > 4 ? Int(args[4]) ?? 10 : 10
let output = NSTemporaryDirectory() + "grappa-bench-\(getpid()).npy"
defer { try? FileManager.default.removeItem(atPath: output) }

func time(_ body: () throws -> Void) rethrows -> Double {
    let t = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6
}

var samples: [String: [Double]] = [:]
let order = ["read", "calibrate", "apply", "calibrate+apply", "write", "fft (k-space to coil images)", "rss"]
do {
    for _ in 0..<repeats {
        var k: KSpace!
        samples["read", default: []].append(try time { k = try NpyFile.readKSpace(input).kspace })
        let mask = try Acquisition.uniform(ny: k.ny, acceleration: r, acsLines: acs)
        let grappa = Grappa.classic  // the numpy reference's settings: 4 × 5, λ_rel 1e-4
        var kernel: GrappaKernel!
        let tc = try time { kernel = try grappa.calibrate(k, mask) }
        var out: KSpace!
        let ta = try time { out = try kernel.apply(to: k, mask) }
        samples["calibrate", default: []].append(tc)
        samples["apply", default: []].append(ta)
        samples["calibrate+apply", default: []].append(tc + ta)
        samples["write", default: []].append(try time { try NpyFile.write(out, to: output) })
        var images: CoilImages!
        samples["fft (k-space to coil images)", default: []].append(time { images = CenteredFFT.image(from: out) })
        samples["rss", default: []].append(time { _ = images.rootSumOfSquares() })
    }
} catch {
    FileHandle.standardError.write(Data("grappa-bench: \(error)\n".utf8))
    exit(1)
}
print("stage\tmin_ms\tmedian_ms\t(\(repeats) repeats, \(Parallel.workers) workers, OpenBLAS kernel \(BLASThreading.coreName))")
for name in order {
    let v = samples[name]!.sorted()
    print(String(format: "%@\t%.1f\t%.1f", name, v.first!, v[v.count / 2]))
}

import ArgumentParser
import Foundation
import GRAPPA
import MRICore
import MRIIO

struct EvaluateCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Undersample a fully sampled scan, reconstruct it with each method, and score the results.",
        discussion: """
            Scores are of the RSS magnitude image against the RSS of INPUT: NRMSE = ‖x̂ − x‖/‖x‖; \
            PSNR = 20·log10(max x / RMSE); SSIM with an 11×11 Gaussian window (σ = 1.5), \
            K1 = 0.01, K2 = 0.03, L = max x − min x. Seconds are the method's wall time \
            (calibration + application), without file I/O. ACS lines are put back (kept as measured).
            """)

    @Argument(help: "Fully sampled k-space (.npy, complex64 [coils, ky, kx]).")
    var input: String

    @Option(help: "Acceleration R.")
    var accel: Int

    @Option(help: "Number of centred ACS lines.")
    var acs = 32

    @Option(help: "Comma-separated methods to run (available: \(Method.allCases.map(\.rawValue).joined(separator: ", "))).")
    var methods = "grappa"

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    @Option(help: "Write a PNG strip: reference, zero-filled, then each method (common grey scale).")
    var png: String?

    @OptionGroup(title: "GRAPPA") var grappaOptions: GrappaOptions
    @OptionGroup(title: "RAKI") var rakiOptions: RakiOptions

    func parsedMethods() throws -> [Method] {
        let names = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw MRIError(.invalidArgument, "--methods is empty") }
        return try names.map { name in
            guard let m = Method(rawValue: name) else {
                throw MRIError(.invalidArgument,
                               "unknown method '\(name)' in --methods (available: \(Method.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return m
        }
    }

    struct Result: Codable {
        let method: String
        let nrmse: Double
        let psnr: Double
        let ssim: Double
        let seconds: Double
    }

    struct Report: Codable {
        let input: String
        let accel: Int
        let acs: Int
        let zero_filled: Result
        let methods: [Result]
    }

    func execute() throws {
        let chosen = try parsedMethods()
        if let json { try validateOutput(json, input: input, extensions: ["json"]) }
        if let png { try validateOutput(png, input: input, extensions: ["png"]) }
        let (full, _) = try NpyFile.readKSpace(input)
        let mask = try SamplingMask.uniform(ny: full.ny, acceleration: accel, acsLines: acs)
        let acquired = full.masked(by: mask)
        let reference = CenteredFFT.rssImage(of: full)
        let zeroFilled = CenteredFFT.rssImage(of: acquired)
        let zf = ImageMetrics(image: zeroFilled, reference: reference)
        var results: [Result] = []
        var images: [RealImage] = [reference, zeroFilled]
        for method in chosen {
            let clock = Stopwatch()
            let (out, _, _) = try method.reconstruct(acquired, mask: mask, settings: MethodSettings(grappa: grappaOptions.grappa, raki: rakiOptions.raki))
            let seconds = clock.seconds
            let image = CenteredFFT.rssImage(of: out)
            let m = ImageMetrics(image: image, reference: reference)
            results.append(Result(method: method.rawValue, nrmse: m.nrmse, psnr: m.psnr, ssim: m.ssim, seconds: seconds))
            images.append(image)
        }
        print("input \(input)  shape \(full.shape)  R=\(accel)  ACS=\(acs)  acquired \(mask.acquiredCount)/\(full.ny) lines")
        print("method         NRMSE    PSNR/dB   SSIM     seconds")
        let zfRow = Result(method: "zero-filled", nrmse: zf.nrmse, psnr: zf.psnr, ssim: zf.ssim, seconds: 0)
        for r in [zfRow] + results {
            let name = r.method.padding(toLength: 12, withPad: " ", startingAt: 0)
            print(name + String(format: " %7.4f %9.2f %7.4f %9.3f", r.nrmse, r.psnr, r.ssim, r.seconds))
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(Report(input: input, accel: accel, acs: acs, zero_filled: zfRow, methods: results))
            try AtomicFile.write(Array(data) + [0x0A], to: json)
        }
        if let png {
            try PNGWriter.write(Self.strip(images, high: reference.pixels.max() ?? 1), to: png)
        }
    }

    /// Images side by side with a 4-pixel gap, all on the grey scale `[0, high]`.
    static func strip(_ images: [RealImage], high: Float) -> Bitmap {
        let gap = 4, w = images[0].nx, h = images[0].ny
        var out = Bitmap(width: images.count * w + (images.count - 1) * gap, height: h)
        for (i, image) in images.enumerated() {
            let tile = Bitmap(image, low: 0, high: high)
            for y in 0..<h {
                for x in 0..<w { out.samples[y * out.width + i * (w + gap) + x] = tile.samples[y * w + x] }
            }
        }
        return out
    }
}

import Foundation
import MRICore
import MRIIO
import Reporting

/// Scores reconstructions of a fully sampled scan undersampled here: the RSS image of each
/// method's result against the RSS image of the scan (NRMSE, PSNR, SSIM; ``MRICore/ImageMetrics``),
/// and a figure of the images and their errors. The library call behind `metagrappa evaluate`.
public struct Evaluation {
    /// One method's scores; the schema of `results.json`.
    public struct Score: Codable, Sendable {
        public let method: String
        public let nrmse: Double
        public let psnr: Double
        public let ssim: Double
        /// The method's wall time (calibration or training + application), without file I/O.
        public let seconds: Double
        /// GRAPPA's kernel support ("4x5": lines × readout) and relative regularisation, as
        /// chosen for this scan (GRAPPA only).
        public var grappa_kernel: String? = nil
        public var grappa_lambda: Double? = nil
        /// The sparse reconstruction's λ relative to the data's intensity (cs only).
        public var cs_lambda: Double? = nil
    }

    /// One input at one R: the schema of `results.json` (an array of these for several).
    public struct Run: Codable, Sendable {
        public let input: String
        public let accel: Int
        public let acs: Int
        public let acs_reinserted: Bool
        public let zero_filled: Score
        public let methods: [Score]
    }

    /// Settings shared by the methods (``ReconstructionSettings/method`` is set per method).
    public var settings: ReconstructionSettings
    /// The methods to run, in order.
    public var methods: [ReconstructionMethod]
    /// Keep the ACS lines as measured (false: estimate them too, to score the interpolation alone).
    public var reinsertACS = true
    /// Factor by which error images are amplified in the figure.
    public var errorScale: Float = 10
    /// Crop the figure to the object.
    public var crop = false

    /// An evaluation of `methods` with `settings`.
    public init(methods: [ReconstructionMethod], settings: ReconstructionSettings = ReconstructionSettings()) {
        self.methods = methods
        self.settings = settings
    }

    /// Undersamples `full` by `acceleration` with `acsLines` ACS lines, reconstructs it with
    /// every method, and scores each; `input` names the scan.
    public func run(_ full: KSpace, input: String, acceleration: Int, acsLines: Int) throws -> (Run, Bitmap) {
        let measured = try Acquisition.uniform(ny: full.ny, acceleration: acceleration, acsLines: acsLines)
        let acquisition = reinsertACS ? measured : measured.estimatingAutoCalibrationLines()
        let acquired = full.masked(by: measured.mask)
        let reference = CenteredFFT.rssImage(of: full)
        let zeroFilledImage = CenteredFFT.rssImage(of: reinsertACS ? acquired : full.masked(by: acquisition.keptLines))
        let zf = ImageMetrics(image: zeroFilledImage, reference: reference)
        var scores: [Score] = []
        var rows = [ComparisonFigure.Row(label: "REFERENCE", image: reference, error: nil),
                    .init(label: String(format: "ZERO-FILLED  NRMSE %.4f", zf.nrmse), image: zeroFilledImage,
                          error: ComparisonFigure.absoluteError(zeroFilledImage, reference))]
        for method in methods {
            var settings = settings
            settings.method = method
            settings.source = input
            let result = try settings.reconstructor().reconstruct(acquired, acquisition)
            let image = CenteredFFT.rssImage(of: result.kspace)
            let m = ImageMetrics(image: image, reference: reference)
            let seconds = result.timings.total
            var score = Score(method: method.rawValue, nrmse: m.nrmse, psnr: m.psnr, ssim: m.ssim, seconds: seconds)
            if let kernel = result.grappaKernel {
                score.grappa_kernel = "\(kernel.geometry.lines)x\(kernel.geometry.readout)"
                score.grappa_lambda = kernel.lambda
            }
            if let lambda = result.sparseLambda { score.cs_lambda = Double(lambda) }
            scores.append(score)
            rows.append(.init(label: String(format: "%@  NRMSE %.4f  %.2f S", method.rawValue, m.nrmse, seconds),
                              image: image, error: ComparisonFigure.absoluteError(image, reference)))
        }
        let run = Run(input: input, accel: acceleration, acs: acsLines, acs_reinserted: reinsertACS,
                      zero_filled: Score(method: "zero-filled", nrmse: zf.nrmse, psnr: zf.psnr, ssim: zf.ssim, seconds: 0),
                      methods: scores)
        let figure = ComparisonFigure.render(rows, window: reference.pixels.max() ?? 1, errorScale: errorScale,
                                             crop: crop ? ComparisonFigure.objectBounds(reference) : nil)
        return (run, figure)
    }
}

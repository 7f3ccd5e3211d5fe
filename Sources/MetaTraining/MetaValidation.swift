import GRAPPA
import MetaLearner
import MRICore

/// Validation of a meta-training run: the mean NRMSE of the RSS image over the validation
/// scans, each undersampled with its own acquisition, against its reference image.
public enum MetaValidation {
    /// Meta-GRAPPA with `model`.
    public static func nrmse(_ model: MetaModel, _ scans: [(scan: KSpace, reference: RealImage)],
                             acquisitions: [Acquisition]) throws -> Double {
        try meanNRMSE(scans, acquisitions: acquisitions) { try MetaGrappa(model: model).reconstruct($0, $1) }
    }

    /// GRAPPA with the default settings, the baseline printed beside it.
    public static func grappaNRMSE(_ scans: [(scan: KSpace, reference: RealImage)], acquisitions: [Acquisition]) throws -> Double {
        try meanNRMSE(scans, acquisitions: acquisitions) { try Grappa().reconstruct($0, $1) }
    }

    private static func meanNRMSE(_ scans: [(scan: KSpace, reference: RealImage)], acquisitions: [Acquisition],
                                  _ reconstruct: (KSpace, Acquisition) throws -> KSpace) throws -> Double {
        var sum = 0.0
        for ((scan, reference), acquisition) in zip(scans, acquisitions) {
            let out = try reconstruct(scan.masked(by: acquisition.mask), acquisition)
            sum += ImageMetrics.nrmse(CenteredFFT.rssImage(of: out), reference)
        }
        return sum / Double(scans.count)
    }
}

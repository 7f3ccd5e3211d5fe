import Foundation
import GRAPPA
import MRICore
import MRIIO
import Reconstruction
import Testing
import TestSupport

/// The noise variance of a file's noise acquisitions, scaled to its imaging samples, given to
/// GRAPPA's automatic λ: ISMRMRD files made by ISMRMRD's generator and edited by h5py.
@Suite struct NoiseDataTests {
    /// Copies of a noisy R = 2 phantom whose noise acquisition (as h5py reads it) has variance
    /// `variance` per sample (printed), each edited: the noise acquisition's dwell time doubled
    /// and its samples scaled by 1/√2 (what the same noise sampled twice as slowly gives), the
    /// receiver's relative noise bandwidth given as 0.8, an imaging readout's dwell time changed,
    /// the noise acquisition's dwell time 0, its samples 4× as large.
    static func files(_ dir: TemporaryDirectory) throws -> Double {
        try generateIsmrmrdPhantom(dir.file("full.h5"), acceleration: 2, matrix: 64, coils: 4, noise: 0.05)
        let py = try runPython("""
            import h5py, shutil, numpy as np
            NOISE = 1 << 18
            def variant(name, noise_time=None, noise_gain=1.0, imaging_time=None, bandwidth=None):
                dst = '\(dir.path)/' + name + '.h5'
                shutil.copy('\(dir.file("full.h5"))', dst)
                with h5py.File(dst, 'r+') as f:
                    d = f['dataset/data']
                    for i in range(len(d)):
                        rec = d[i]
                        if rec['head']['flags'] & NOISE:
                            if noise_time is not None: rec['head']['sample_time_us'] = noise_time
                            rec['data'] = (rec['data'] * noise_gain).astype(np.float32)
                            d[i] = rec
                        elif imaging_time is not None and i == len(d) - 1:
                            rec['head']['sample_time_us'] = imaging_time
                            d[i] = rec
                    if bandwidth is not None:
                        x = f['dataset/xml'][0].decode().replace('</acquisitionSystemInformation>',
                            '<relativeReceiverNoiseBandwidth>%g</relativeReceiverNoiseBandwidth></acquisitionSystemInformation>' % bandwidth)
                        del f['dataset/xml']
                        f.create_dataset('dataset/xml', data=[x.encode()], dtype=h5py.string_dtype())
            variant('plain')
            variant('slow', noise_time=10.0, noise_gain=0.5 ** 0.5)
            variant('filtered', bandwidth=0.8)
            variant('varying', imaging_time=2.5)
            variant('unknown', noise_time=0.0)
            variant('loud', noise_gain=4.0)
            for rec in h5py.File('\(dir.file("full.h5"))', 'r')['dataset/data']:
                if rec['head']['flags'] & NOISE:
                    x = rec['data'].view(np.complex64)
                    print(np.mean(np.abs(x.astype(np.complex128)) ** 2))
            """)
        guard py.status == 0, let variance = Double(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestSetupError("h5py edit failed: \(py.stderr)")
        }
        return variance
    }

    @Test func theScaleFollowsTheDwellTimesAndTheNoiseBandwidth() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try Self.files(dir)
        let expected: [(String, Double?)] = [("plain", 1), ("slow", 2), ("filtered", 1 / 0.8), ("varying", nil), ("unknown", nil)]
        for (name, scale) in expected {
            let reader = try KSpaceFiles.openReader(dir.file(name + ".h5"))
            #expect(reader.noiseVarianceScale.map { Float($0) } == scale.map { Float($0) }, "\(name): \(String(describing: reader.noiseVarianceScale))")
            #expect(try reader.noiseScans() != nil, "\(name): the noise data are read whatever their dwell time")
        }
        #expect(try KSpaceFiles.openReader(dir.file("full.h5")).noiseVarianceScale == 1)
    }

    /// A reconstruction of the file with the slower noise acquisition gives GRAPPA the variance
    /// of the original one (the noise of the imaging samples); its kernels' λ is the automatic
    /// λ for that variance on the whitened coils. Where the file does not say, each slice's
    /// own estimate is used.
    @Test func reconstructionGivesGrappaTheImagingNoiseVariance() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let variance = try Self.files(dir)
        let job = VolumeReconstruction(input: dir.file("slow.h5"), output: dir.file("slow.npy"), sampling: .recordedInFile)
        let report = try job.run()
        let given = try #require(report.noiseVariance)
        #expect(abs(given / variance - 1) < 1e-5, "\(given) vs \(variance)")
        let whitening = try #require(report.whitening)
        let reader = try KSpaceFiles.openReader(dir.file("slow.h5"))
        for (slice, kernel) in report.kernels.enumerated() {
            let a = try SamplingSource.recordedInFile.acquisition(for: reader, slice: slice, source: "slow.h5")
            let k = try whitening.whitened(reader.readSlice(slice).masked(by: a.mask))
            let direct = try GrappaSelection(k, a, support: .automatic, lambda: .automatic, noiseVariance: variance)
            #expect(kernel.geometry == direct.geometry && abs(kernel.lambda / direct.lambda - 1) < 1e-3,
                    "slice \(slice): \(kernel) vs \(direct.geometry), \(direct.lambda)")
        }
        var unknown = VolumeReconstruction(input: dir.file("unknown.h5"), output: dir.file("unknown.npy"), sampling: .recordedInFile)
        let estimated = try unknown.run()
        #expect(estimated.noiseVariance == nil)
        // Noise data 16× as loud (same whitening): the variance given follows, and so does λ.
        let loud = try VolumeReconstruction(input: dir.file("loud.h5"), output: dir.file("loud.npy"), sampling: .recordedInFile).run()
        #expect(abs(try #require(loud.noiseVariance) / (16 * variance) - 1) < 1e-5)
        for (l, e) in zip(loud.kernels, estimated.kernels) {
            #expect(l.lambda > 3 * e.lambda, "λ_rel \(l.lambda) with the loud noise data, \(e.lambda) estimated")
        }
        unknown.settings.grappa.lambda = .relative(1e-3)
        unknown.input = dir.file("slow.h5")
        #expect(try unknown.run().noiseVariance == nil, "a fixed λ uses no noise variance")
    }
}

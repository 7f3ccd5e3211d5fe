import CompressedSensing
import Foundation
import MRICore
import MRIIO
import Reconstruction
import Simulation
import Testing
import TestSupport

/// `recon --method cs`: the library's result, the measured lines as the flag says, the chosen
/// λ reported, and an image closer to the truth than the zero-filled one.
@Suite struct SparseCommandTests {
    @Test func reconRunsTheLibrarysSparseReconstruction() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let sim = try PhantomSimulator(ny: 64, nx: 48, coils: 8, seed: 5).simulate()
        try NpyFile.write(sim.noisy, to: dir.file("full.npy"))
        let run = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("out.npy"), "--method", "cs", "--accel", "3", "--acs", "20",
                                 "--timing")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("cs λ: "), "\(run.stderr)")
        let mask = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 20)
        let acquired = sim.noisy.masked(by: mask.mask)
        let library = try SparseSenseReconstructor().reconstruct(acquired, mask).kspace
        let (out, _) = try NpyFile.readKSpace(dir.file("out.npy"))
        #expect(out == library)
        let measuredLines = (0..<64).filter { mask.mask.acquired[$0] }
        let changed = measuredLines.filter { y in (0..<48).contains { out[0, y, $0] != sim.noisy[0, y, $0] } }
        #expect(changed.count == measuredLines.count, "the regularised solution replaces the measured lines")
        let reference = CenteredFFT.rssImage(of: sim.clean)
        let error = ImageMetrics.nrmse(CenteredFFT.rssImage(of: out), reference)
        let zeroFilled = ImageMetrics.nrmse(CenteredFFT.rssImage(of: acquired), reference)
        #expect(error < zeroFilled / 2, "cs \(error) vs zero-filled \(zeroFilled)")

        let kept = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("kept.npy"), "--method", "cs", "--accel", "3", "--acs", "20",
                                  "--keep-measured", "--lambda", "0.002", "--iterations", "30")
        #expect(kept.status == 0, "\(kept.stderr)")
        let (keptOut, _) = try NpyFile.readKSpace(dir.file("kept.npy"))
        for c in 0..<8 { for y in measuredLines { for x in 0..<48 { #expect(keptOut[c, y, x] == sim.noisy[c, y, x]) } } }
        var sparse = SparseSenseReconstruction()
        (sparse.keepMeasured, sparse.lambda, sparse.iterations) = (true, .relative(0.002), 30)
        #expect(keptOut == (try SparseSenseReconstructor(sparse).reconstruct(acquired, mask).kspace))
    }

    /// A 2-slice volume, slice by slice: each output slice is the library's sparse
    /// reconstruction of that slice; with virtual coils too, through the compression wrapper.
    @Test func volumesAndVirtualCoilsRunSliceBySlice() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let slices = try (0..<2).map { try PhantomSimulator(ny: 48, nx: 40, coils: 6, seed: UInt64(40 + $0)).simulate().noisy }
        try writeVolume(slices, to: dir.file("v.npy"))
        let mask = try Acquisition.uniform(ny: 48, acceleration: 3, acsLines: 16)
        for (flags, settings) in [([String](), ReconstructionSettings(method: .cs)), (["--virtual-coils", "4"], { () -> ReconstructionSettings in
            var s = ReconstructionSettings(method: .cs)
            s.virtualCoils = 4
            return s
        }())] {
            var settings = settings
            settings.sparse.iterations = 20
            let r = try metagrappa(["recon", dir.file("v.npy"), "-o", dir.file("o.npy"), "--method", "cs", "--accel", "3", "--acs", "16",
                                    "--iterations", "20"] + flags)
            try #require(r.status == 0, "\(r.stderr)")
            let reader = try KSpaceFiles.openReader(dir.file("o.npy"))
            #expect(reader.slices == 2)
            for i in 0..<2 {
                let expected = try settings.reconstructor().reconstruct(slices[i].masked(by: mask.mask), mask).kspace
                #expect(try reader.readSlice(i) == expected, "slice \(i) \(flags)")
            }
        }
    }
}

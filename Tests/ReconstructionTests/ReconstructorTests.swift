import Foundation
import GRAPPA
import MRICore
import MRIIO
import RAKI
import Reconstruction
import Simulation
import Testing
import TestSupport

/// The library's reconstructors against direct calls of the methods they wrap, and the
/// settings and volume job around them.
@Suite struct ReconstructorTests {
    let full = try! PhantomSimulator(ny: 64, nx: 40, coils: 6, seed: 9).simulate().noisy
    let acquisition = try! Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 20)
    var acquired: KSpace { full.masked(by: acquisition.mask) }

    @Test func eachMethodEqualsItsDirectCall() throws {
        var settings = ReconstructionSettings(method: .grappa)
        let grappa = try settings.reconstructor().reconstruct(acquired, acquisition)
        #expect(grappa.kspace == (try Grappa().reconstruct(acquired, acquisition)))
        #expect(grappa.grappaKernel == (try Grappa().calibrate(acquired, acquisition)))

        settings.method = .raki
        settings.raki.options.iterations = 20
        let raki = try settings.reconstructor().reconstruct(acquired, acquisition)
        #expect(raki.kspace == (try settings.raki.reconstruct(acquired, acquisition)))
        #expect(raki.grappaKernel == nil && raki.timings.calibration > 0)

        let kernel = try Grappa(lambda: 1e-2).calibrate(acquired, acquisition)
        settings = ReconstructionSettings(method: .grappa)
        settings.kernel = (kernel, "k.kernel")
        #expect(try settings.reconstructor().reconstruct(acquired, acquisition).kspace == kernel.apply(to: acquired, acquisition))
    }

    /// With as many virtual coils as physical ones the compression is unitary, and GRAPPA
    /// (whose least squares and trace-relative λ are unchanged by a unitary coil mix) must give
    /// the uncompressed result up to rounding; measured lines come back bit for bit.
    @Test func coilCompressionKeepsMeasuredLinesAndIsExactWhenUnitary() throws {
        var settings = ReconstructionSettings(method: .grappa)
        let plain = try settings.reconstructor().reconstruct(acquired, acquisition).kspace
        settings.virtualCoils = full.coils
        let compressed = try settings.reconstructor().reconstruct(acquired, acquisition).kspace
        #expect(maxAbsDifference(compressed.data, plain.data) < 1e-4 * (full.data.map(\.length).max() ?? 1))
        settings.virtualCoils = 3
        let three = try settings.reconstructor().reconstruct(acquired, acquisition).kspace
        for c in 0..<full.coils { for y in 0..<full.ny where acquisition.mask.acquired[y] { for x in 0..<full.nx {
            #expect(three[c, y, x] == acquired[c, y, x])
        } } }
        #expect(maxAbsDifference(three.data, plain.data) > 0)  // 3 of 6 components lose signal
    }

    @Test func contradictorySettingsAreRefusedNamingTheSetting() throws {
        var settings = ReconstructionSettings(method: .raki)
        settings.kernel = (try Grappa().calibrate(acquired, acquisition), "k")
        #expect { try settings.reconstructor() } throws: { ($0 as? MRIError)?.setting == .kernel }
        settings = ReconstructionSettings(method: .grappa)
        settings.virtualCoils = 0
        #expect { try settings.reconstructor() } throws: { ($0 as? MRIError)?.setting == .virtualCoils }
        // No model given: the shipped one for the scan's R, and none is shipped for R = 3.
        settings = ReconstructionSettings(method: .meta)
        #expect { try settings.reconstructor().reconstruct(acquired, acquisition) } throws: {
            ($0 as? MRIError)?.setting == .metaModel && "\($0)".contains("at R=3 (shipped: R=4")
        }
        settings = ReconstructionSettings(method: .grappa)
        settings.grappa.lambda = .relative(-1)
        #expect { try settings.reconstructor() } throws: { ($0 as? MRIError)?.setting == .lambda }
    }

    @Test func volumeJobReconstructsEverySliceLikeTheMethod() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let second = try PhantomSimulator(ny: 64, nx: 40, coils: 6, seed: 10).simulate().noisy
        let writer = try KSpaceFiles.createWriter(dir.file("v.npy"), slices: 2, sliceShape: (6, 64, 40))
        try writer.write(full, slice: 0)
        try writer.write(second, slice: 1)
        try writer.commit()
        var job = VolumeReconstruction(input: dir.file("v.npy"), output: dir.file("o.cfl"),
                                       sampling: .uniform(acceleration: 3, acsLines: 20))
        job.gFactorOutput = dir.file("g.npy")
        let report = try job.run()
        #expect(report.timings.total >= report.timings.calibrate + report.timings.apply)
        let kernels = try [full, second].map { try Grappa().calibrate($0, acquisition) }
        #expect(report.kernels.map(\.geometry) == kernels.map(\.geometry))
        #expect(report.kernels.map(\.lambda) == kernels.map(\.lambda))
        let out = try KSpaceFiles.openReader(dir.file("o.cfl"))
        for (i, k) in [full, second].enumerated() {
            #expect(try out.readSlice(i) == Grappa().reconstruct(k, acquisition), "slice \(i)")
        }
        #expect(try NpyFile.header(of: dir.file("g.npy")).shape == [2, 64, 40])
        // A g-factor map with coil compression is refused before anything is read or written.
        job.output = dir.file("o2.npy")
        job.settings.virtualCoils = 3
        #expect { try job.run() } throws: { ($0 as? MRIError)?.setting == .gFactor }
        #expect(!FileManager.default.fileExists(atPath: dir.file("o2.npy")))
    }
}

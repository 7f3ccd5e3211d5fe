import CoilSensitivity
import Foundation
import MRICore
import Numerics
import Simulation
import Testing
import TestSupport

/// ESPIRiT maps against the truth of a noise-free simulation and against `bart ecalib`.
@Suite struct EspiritTests {
    static let acs = 56..<88  // 32 centred lines of 144

    static func phantom(noise: Double) throws -> (noisy: KSpace, clean: KSpace) {
        var sim = PhantomSimulator(ny: 144, nx: 128, coils: 8, noiseLevel: noise, seed: 7)
        sim.objectScale = 0.8
        let out = try sim.simulate()
        return (out.noisy, out.clean)
    }

    /// |⟨a(r), b(r)⟩| / (‖a(r)‖‖b(r)‖) at pixel `i` of two [coil][pixel] arrays.
    static func agreement(_ a: [Complex<Float>], _ b: [Complex<Float>], coils: Int, pixels n: Int, at i: Int) -> Float {
        var dot = Complex<Float>.zero, na: Float = 0, nb: Float = 0
        for c in 0..<coils {
            dot = dot + a[c * n + i].conjugate * b[c * n + i]
            na += a[c * n + i].lengthSquared
            nb += b[c * n + i].lengthSquared
        }
        return na > 0 && nb > 0 ? dot.length / (na * nb).squareRoot() : 0
    }

    /// In a noise-free scan the coil images are s_c(r)·m(r): wherever the object is bright,
    /// the direction of the coil vector is the sensitivities' (up to a phase), which the maps
    /// must reproduce; and they must cover the object.
    @Test func mapsAreTheSensitivitiesOfANoiseFreeScan() throws {
        let clean = try Self.phantom(noise: 0).clean
        let maps = try Espirit().maps(of: clean, calibrationLines: Self.acs)
        let images = CenteredFFT.image(from: clean), rss = images.rootSumOfSquares()
        let n = clean.ny * clean.nx, peak = rss.pixels.max()!
        let bright = (0..<n).filter { rss.pixels[$0] > 0.05 * peak }
        #expect(bright.count > n / 5)
        let agreements = bright.map { Self.agreement(maps.data, images.data, coils: 8, pixels: n, at: $0) }
        let mean = agreements.reduce(0, +) / Float(agreements.count)
        #expect(mean > 0.999, "mean agreement \(mean)")
        #expect(agreements.min()! > 0.99, "least agreement \(agreements.min()!)")
        let covered = bright.filter { maps.covers($0 / clean.nx, $0 % clean.nx) }.count
        #expect(covered == bright.count, "\(bright.count - covered) bright pixels outside the maps")
        // Unit vectors inside, with eigenvalue ≈ 1 where the object is.
        let inside = bright.map { maps.eigenvalues[$0] }.sorted()
        #expect(inside[inside.count / 2] > 0.98)
    }

    /// Against `bart ecalib -m1 -r 32` on the same noisy scan: the same vectors (up to a
    /// phase) where both hold, and nearly the same support.
    @Test func mapsAgreeWithBart() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/bart"), "bart is missing: run scripts/install-deps")
        let k = try Self.phantom(noise: 0.01).noisy
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try writeCfl(dir.file("k"), dims: [k.nx, k.ny, 1, k.coils], data: k.data)
        let r = try runProcess("/usr/bin/bart", ["ecalib", "-m1", "-r", "32", dir.file("k"), dir.file("s")])
        try #require(r.status == 0, "bart ecalib failed: \(r.stderr)")
        let bart = try readCfl(dir.file("s"), count: k.coils * k.ny * k.nx)
        let maps = try Espirit().maps(of: k, calibrationLines: Self.acs)
        let n = k.ny * k.nx
        let bartCovers = (0..<n).map { i in (0..<k.coils).contains { bart[$0 * n + i] != .zero } }
        let ours = (0..<n).map { maps.covers($0 / k.nx, $0 % k.nx) }
        let same = zip(bartCovers, ours).filter { $0 == $1 }.count
        #expect(Double(same) / Double(n) > 0.995, "support agrees on \(same) of \(n) pixels")
        let both = (0..<n).filter { bartCovers[$0] && ours[$0] }
        let agreements = both.map { Self.agreement(maps.data, bart, coils: k.coils, pixels: n, at: $0) }
        let mean = agreements.reduce(0, +) / Float(agreements.count)
        #expect(mean > 0.999, "mean agreement with bart \(mean)")
        print("ESPIRiT vs bart: support agrees on \(same)/\(n); mean |<s, s_bart>| \(mean), least \(agreements.min()!)")
    }
}

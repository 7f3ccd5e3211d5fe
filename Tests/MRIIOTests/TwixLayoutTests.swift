import Foundation
import MRICore
import MRIIO
import Testing
import TestSupport

/// Raw data written byte by byte in both layouts, with what twixtools cannot write (the VB
/// layout with reference, reflected and noise scans): the reader assembles the known k-space.
@Suite struct TwixLayoutTests {
    /// A file holding `k` `[coils, 24, 16]` on R = 2 with reference lines 8…15, line 4
    /// reflected, two noise scans first, then the acquisition-end scan.
    static func write(_ k: KSpace, noise: KSpace, vd: Bool, protocolLines: String = "", to path: String) throws {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T, at i: Int, in b: inout [UInt8]) {
            withUnsafeBytes(of: v.littleEndian) { for (j, x) in $0.enumerated() { b[i + j] = x } }
        }
        func samples(_ k: KSpace, coil: Int, line: Int, reversed: Bool) -> [UInt8] {
            var out: [UInt8] = []
            for x in 0..<k.nx {
                let v = k[coil, line, reversed ? k.nx - 1 - x : x]
                for f in [v.real, v.imaginary] { withUnsafeBytes(of: f.bitPattern.littleEndian) { out += $0 } }
            }
            return out
        }
        func scan(_ flags: UInt64, line: Int, from k: KSpace, kLine: Int, reversed: Bool = false) {
            let (flagsAt, centreAt) = vd ? (40, 96) : (20, 76)
            var header = [UInt8](repeating: 0, count: vd ? 192 : 128)
            put(UInt32((vd ? 192 : 0) + k.coils * ((vd ? 32 : 128) + 8 * k.nx)), at: 0, in: &header)
            put(flags, at: flagsAt, in: &header)
            put(UInt16(k.nx), at: flagsAt + 8, in: &header)
            put(UInt16(k.coils), at: flagsAt + 10, in: &header)
            put(UInt16(line), at: flagsAt + 12, in: &header)
            put(UInt16(12), at: centreAt, in: &header)
            if vd { bytes += header }
            for c in 0..<k.coils {
                bytes += vd ? [UInt8](repeating: 0, count: 32) : header
                bytes += samples(k, coil: c, line: kLine, reversed: reversed)
            }
        }
        let text = Array("### ASCCONV BEGIN ###\nsKSpace.lPhaseEncodingLines = 24\n\(protocolLines)### ASCCONV END ###\n".utf8)
        var measurement = [UInt8](repeating: 0, count: vd ? 256 : 10240)
        put(UInt32(measurement.count), at: 0, in: &measurement)
        put(UInt32(1), at: 4, in: &measurement)
        let name = Array("MeasYaps".utf8) + [0]
        measurement.replaceSubrange(8..<8 + name.count, with: name)
        put(UInt32(text.count), at: 8 + name.count, in: &measurement)
        measurement.replaceSubrange(12 + name.count..<12 + name.count + text.count, with: text)
        bytes = measurement
        for i in 0..<noise.ny { scan(1 << 25, line: i, from: noise, kLine: i) }
        for y in 0..<24 where y % 2 == 0 || (8..<16).contains(y) {
            let reference = (8..<16).contains(y)
            let flags: UInt64 = (reference ? 1 << 22 : 0) | (reference && y % 2 == 0 ? 1 << 23 : 0) | (y == 4 ? 1 << 24 : 0)
            scan(flags, line: y, from: k, kLine: y, reversed: y == 4)
        }
        var end = [UInt8](repeating: 0, count: vd ? 192 : 128)
        put(UInt32(end.count), at: 0, in: &end)
        put(UInt64(1), at: vd ? 40 : 20, in: &end)
        bytes += end
        if vd {
            var raid = [UInt8](repeating: 0, count: 10240)
            put(UInt32(1), at: 4, in: &raid)
            put(UInt64(10240), at: 16, in: &raid)
            put(UInt64(bytes.count), at: 24, in: &raid)
            bytes = raid + bytes
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test(arguments: [false, true])
    func assemblesReferenceReflectedAndNoiseScans(vd: Bool) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let k = randomKSpace(coils: 3, ny: 24, nx: 16, seed: 3), noise = randomKSpace(coils: 3, ny: 2, nx: 16, seed: 4)
        try Self.write(k, noise: noise, vd: vd, to: dir.file("f.dat"))
        let reader = try KSpaceFiles.openReader(dir.file("f.dat"))
        let mask = try #require(try reader.acquiredLines(slice: 0))
        #expect(mask.acquired == (0..<24).map { $0 % 2 == 0 || (8..<16).contains($0) })
        #expect(try reader.readSlice(0) == k.masked(by: mask))
        #expect(try reader.noiseScans() == noise)
        #expect(reader.properties.contains { $0.name == "software" && $0.value.contains(vd ? "VD/VE/XA" : "VB") })
    }

    @Test func nonCartesianProtocolsAreRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let k = randomKSpace(coils: 2, ny: 24, nx: 16, seed: 5), noise = randomKSpace(coils: 2, ny: 2, nx: 16, seed: 6)
        try Self.write(k, noise: noise, vd: true, protocolLines: "sKSpace.ucTrajectory = 0x2\n", to: dir.file("radial.dat"))
        #expect(throws: MRIError.self) { try KSpaceFiles.openReader(dir.file("radial.dat")) }
        do { _ = try KSpaceFiles.openReader(dir.file("radial.dat")) } catch let e as MRIError {
            #expect(e.message.contains("radial") && e.message.contains("Cartesian"), "\(e.message)")
        }
        try Self.write(k, noise: noise, vd: true, protocolLines: "sKSpace.ucTrajectory = 0x1\n", to: dir.file("cartesian.dat"))
        #expect(try KSpaceFiles.openReader(dir.file("cartesian.dat")).readSlice(0).coils == 2)
    }

    @Test func aProtocolOfAnotherSizeDoesNotPlaceTheLines() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let k = randomKSpace(coils: 2, ny: 24, nx: 16, seed: 7), noise = randomKSpace(coils: 2, ny: 2, nx: 16, seed: 8)
        // A host protocol of 256 lines around line counters 0…22: the data's own 23 lines.
        try Self.write(k, noise: noise, vd: false, protocolLines: "sKSpace.lPhaseEncodingLines = 256\n", to: dir.file("host.dat"))
        let reader = try KSpaceFiles.openReader(dir.file("host.dat"))
        #expect(reader.sliceShape.ny == 23)
        #expect(reader.properties.contains { $0.name == "lines" && $0.value.contains("do not fit the protocol's 256") })
        // A protocol of 26 lines places them: 26 rows, centre 13.
        try Self.write(k, noise: noise, vd: false, protocolLines: "sKSpace.lPhaseEncodingLines = 26\n", to: dir.file("wide.dat"))
        let wide = try KSpaceFiles.openReader(dir.file("wide.dat"))
        #expect(wide.sliceShape.ny == 26)
        let slice = try wide.readSlice(0)
        // Centre line 12 recorded, centre row 13: every line one row down.
        #expect(slice[0, 1, 3] == k[0, 0, 3] && slice[1, 23, 5] == k[1, 22, 5] && slice[1, 9, 5] == k[1, 8, 5])
        #expect(slice[0, 0, 3] == .zero && slice[1, 24, 5] == .zero && slice[1, 25, 5] == .zero)
    }
}

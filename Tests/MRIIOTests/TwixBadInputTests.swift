import Foundation
import MRICore
import MRIIO
import Testing
import TestSupport

/// Damaged Siemens raw data: one clear error naming the file and the problem, never a crash.
@Suite struct TwixBadInputTests {
    static var source: String { get throws { try testData("twix/xa61_brain_16ch_gre_128.dat") } }

    /// The XA61 brain file with `edit` applied, written to `dir`; `dataStart` is the byte
    /// where its first scan header begins.
    static func damaged(_ dir: TemporaryDirectory, _ name: String, _ edit: (inout [UInt8], _ dataStart: Int) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try source)))
        let u32 = { (i: Int) in (0..<4).reduce(0) { $0 | Int(bytes[i + $1]) << (8 * $1) } }
        let measurement = u32(16)  // the first raid entry's offset (low half)
        edit(&bytes, measurement + u32(measurement))
        let path = dir.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func expectError(_ path: String, containing words: [String]) {
        do {
            let reader = try KSpaceFiles.openReader(path)
            for s in 0..<reader.slices { _ = try reader.readSlice(s) }
            Issue.record("\(path) was read without error")
        } catch let error as MRIError {
            #expect(error.kind == .format || error.kind == .io, "\(error)")
            #expect(error.message.contains(path), "message does not name the file: \(error.message)")
            for w in words { #expect(error.message.contains(w), "'\(w)' missing from: \(error.message)") }
        } catch {
            Issue.record("not an MRIError: \(error)")
        }
    }

    @Test func truncatedFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        for fraction in [0.9, 0.5, 0.2] {
            let path = try Self.damaged(dir, "cut\(fraction).dat") { bytes, _ in bytes.removeLast(Int(Double(bytes.count) * (1 - fraction))) }
            Self.expectError(path, containing: ["truncated"])
        }
        let tiny = try Self.damaged(dir, "tiny.dat") { bytes, _ in bytes.removeLast(bytes.count - 4) }
        Self.expectError(tiny, containing: ["too short"])
    }

    @Test func notSiemensRawData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let text = dir.file("notes.dat")
        try Data(String(repeating: "not a scan, just some words\n", count: 100).utf8).write(to: URL(fileURLWithPath: text))
        Self.expectError(text, containing: ["measurement header"])
        let raid = try Self.damaged(dir, "raid.dat") { bytes, _ in bytes[16 + 6] = 0x7F }  // entry offset far beyond the file
        Self.expectError(raid, containing: ["outside the file"])
    }

    @Test func damagedScanHeaders() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let channels = try Self.damaged(dir, "channels.dat") { bytes, start in bytes[start + 50] = 0xFF; bytes[start + 51] = 0xFF }
        Self.expectError(channels, containing: ["65535 channels"])
        let samples = try Self.damaged(dir, "samples.dat") { bytes, start in bytes[start + 48] = 0; bytes[start + 49] = 0 }
        Self.expectError(samples, containing: ["0 samples"])
        // A partition counter of 1 on one scan: a 3-D slab of 2 partitions whose second holds one
        // line; recon refuses it (python/tests/test_partial_fourier.py runs a real slab).
        let partition = try KSpaceFiles.openReader(try Self.damaged(dir, "partition.dat") { bytes, start in bytes[start + 58] = 1 })
        #expect(partition.partitions == 2)
        #expect(try partition.acquiredLines(slice: 1)?.acquiredCount == 1)
        let line = try Self.damaged(dir, "line.dat") { bytes, start in bytes[start + 52] = 0xFF; bytes[start + 53] = 0xFF }
        Self.expectError(line, containing: ["65535", "damaged line counters"])
    }

    @Test func nonFiniteSamplesAreRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // The first sample of the first channel of the first scan: 0x7FC00000 is a NaN.
        let path = try Self.damaged(dir, "nan.dat") { bytes, start in
            bytes.replaceSubrange(start + 192 + 32..<start + 192 + 36, with: [0x00, 0x00, 0xC0, 0x7F])
        }
        Self.expectError(path, containing: ["NaN"])
    }
}

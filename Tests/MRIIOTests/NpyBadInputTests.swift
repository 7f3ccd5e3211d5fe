import Compute
import Foundation
import MRICore
import MRIIO
import Numerics
import Testing
import TestSupport

@Suite struct NpyBadInputTests {
    /// Writes `bytes` to a file and expects reading it as k-space to fail with a
    /// message containing `fragment`.
    func expectRefusal(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("bad.npy")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(sourceLocation: sourceLocation) {
            _ = try NpyFile.readKSpace(path)
        } throws: { error in
            guard let e = error as? MRIError else { return false }
            return e.message.contains(fragment) && e.message.contains(path)
        }
    }

    func header(_ dict: String) -> [UInt8] {
        let text = dict + "\n"
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)]
            + Array(text.utf8)
    }

    @Test func missingAndEmptyFiles() throws {
        #expect(throws: MRIError.self) { try NpyFile.readKSpace("/nonexistent/k.npy") }
        try expectRefusal([], "empty")
    }

    @Test func randomBytes() throws {
        var rng = SeededGenerator(seed: 4)
        try expectRefusal((0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, "not a .npy file")
    }

    @Test func truncatedData() throws {
        let bytes = header("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 4, 4), }") + [UInt8](repeating: 0, count: 100)
        try expectRefusal(bytes, "truncated")
    }

    @Test func truncatedHeader() throws {
        try expectRefusal(Array(header("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 4, 4), }")[0..<30]), "header")
    }

    @Test func absurdShapeIsRefusedWithoutAllocating() throws {
        // 10^12 elements would be 8 TB: the size check must refuse it before any allocation.
        try expectRefusal(header("{'descr': '<c8', 'fortran_order': False, 'shape': (1000, 1000000, 1000), }") + [0, 0],
                          "needs 8000000000000 bytes")
        try expectRefusal(header("{'descr': '<c8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"),
                          "more elements than can be addressed")
        try expectRefusal(header("{'descr': '<c8', 'fortran_order': False, 'shape': (2, -4, 4), }"), "negative dimension")
    }

    @Test func wrongDtypeAndRank() throws {
        try expectRefusal(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }") + [UInt8](repeating: 0, count: 32),
                          "expected complex k-space")
        try expectRefusal(header("{'descr': '<c8', 'fortran_order': False, 'shape': (4, 4), }") + [UInt8](repeating: 0, count: 128),
                          "rank 3")
        try expectRefusal(header("{'descr': '<U8', 'fortran_order': False, 'shape': (2,), }") + [UInt8](repeating: 0, count: 64),
                          "unsupported dtype")
        try expectRefusal(header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }") + [UInt8](repeating: 0, count: 8),
                          "structured")
        try expectRefusal(header("{'descr': '<c8', 'fortran_order': False, 'shape': (0, 4, 4), }"), "empty")
    }

    @Test func nanAndInfAreRefusedWithTheirPosition() throws {
        var values = [Float](repeating: 0, count: 2 * 2 * 3 * 3)
        values[2 * 13] = .nan  // element 13 = coil 1, ky 1, kx 1
        let payload = values.withUnsafeBytes { Array($0) }
        try expectRefusal(header("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3, 3), }") + payload,
                          "NaN or Inf (first at coil 1, ky 1, kx 1)")
        values[2 * 13] = .infinity
        try expectRefusal(header("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3, 3), }")
                          + values.withUnsafeBytes { Array($0) }, "NaN or Inf")
    }

    @Test func malformedMasks() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("m.npy")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(header("{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }") + [0, 1, 2, 1])))
        #expect { try NpyFile.readMask(path) } throws: { ($0 as? MRIError)?.message.contains("0 or 1, found 2.0 at index 2") == true }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(header("{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }") + [0, 1, 0, 1])))
        #expect { try NpyFile.readMask(path, expectedLength: 6) } throws: { ($0 as? MRIError)?.message.contains("has 4 entries but the k-space has 6") == true }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(header("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }") + [0, 1, 0, 1])))
        #expect { try NpyFile.readMask(path) } throws: { ($0 as? MRIError)?.message.contains("1-D") == true }
    }
}

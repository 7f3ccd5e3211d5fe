import Foundation
import MRICore
import MRIIO
import Numerics
import Testing
import TestSupport

/// The values numpy writes in these tests: element i of a complex array is
/// `(i·0.37 − 3) + (1.5 − i·0.011)·1j`, computed here independently in Swift.
func formulaValue(_ i: Int) -> Complex<Float> {
    Complex(Float(Double(i) * 0.37 - 3), Float(1.5 - Double(i) * 0.011))
}

@Suite struct NpyInteropTests {
    let numpyFormula = "(np.arange(n) * 0.37 - 3) + 1j * (1.5 - np.arange(n) * 0.011)"

    @Test func readsWhatNumpyWrites() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let script = """
            import numpy as np
            n = 3 * 5 * 7
            v = (\(numpyFormula)).reshape(3, 5, 7)
            np.save('\(dir.file("c8.npy"))', v.astype(np.complex64))
            np.save('\(dir.file("c16.npy"))', v.astype(np.complex128))
            np.save('\(dir.file("fortran.npy"))', np.asfortranarray(v.astype(np.complex64)))
            np.save('\(dir.file("big.npy"))', v.astype('>c8'))
            np.save('\(dir.file("mask_b1.npy"))', np.arange(10) % 3 == 0)
            np.save('\(dir.file("mask_u1.npy"))', (np.arange(10) % 3 == 0).astype(np.uint8))
            """
        let py = try runPython(script)
        #expect(py.status == 0, "python failed: \(py.stderr)")
        for name in ["c8.npy", "c16.npy", "fortran.npy", "big.npy"] {
            let (k, stored) = try NpyFile.readKSpace(dir.file(name))
            #expect(k.shape == [3, 5, 7], "\(name)")
            #expect(stored == (name == "c16.npy" ? .complex128 : .complex64))
            for i in 0..<(3 * 5 * 7) {
                #expect(k.data[i] == formulaValue(i), "\(name) element \(i)")
            }
        }
        for name in ["mask_b1.npy", "mask_u1.npy"] {
            let mask = try NpyFile.readMask(dir.file(name))
            #expect(mask.acquired == (0..<10).map { $0 % 3 == 0 }, "\(name)")
        }
    }

    @Test func numpyReadsWhatWeWriteBitExactly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let k = try KSpace(coils: 2, ny: 3, nx: 4, data: (0..<24).map(formulaValue))
        try NpyFile.write(k, to: dir.file("ours.npy"))
        try NpyFile.write(k, to: dir.file("ours16.npy"), as: .complex128)
        try NpyFile.write(SamplingMask(acquired: [true, false, true]), to: dir.file("mask.npy"))
        try NpyFile.write([1.5, -2, 3.25], shape: [3], to: dir.file("f4.npy"))
        let script = """
            import numpy as np, sys
            n = 24
            v = (\(numpyFormula)).reshape(2, 3, 4)
            a = np.load('\(dir.file("ours.npy"))')
            assert a.dtype == np.complex64 and a.shape == (2, 3, 4), (a.dtype, a.shape)
            assert np.array_equal(a, v.astype(np.complex64)), 'c8 values differ'
            b = np.load('\(dir.file("ours16.npy"))')
            assert b.dtype == np.complex128 and np.array_equal(b, v.astype(np.complex64).astype(np.complex128))
            m = np.load('\(dir.file("mask.npy"))')
            assert m.dtype == np.bool_ and list(m) == [True, False, True]
            f = np.load('\(dir.file("f4.npy"))')
            assert f.dtype == np.float32 and list(f) == [1.5, -2, 3.25]
            np.save('\(dir.file("theirs.npy"))', v.astype(np.complex64))
            np.save('\(dir.file("theirs_mask.npy"))', np.array([True, False, True]))
            """
        let py = try runPython(script)
        #expect(py.status == 0, "python: \(py.stderr)")
        // Byte-identical files, header included.
        let ours = try Data(contentsOf: URL(fileURLWithPath: dir.file("ours.npy")))
        let theirs = try Data(contentsOf: URL(fileURLWithPath: dir.file("theirs.npy")))
        #expect(ours == theirs)
        let oursMask = try Data(contentsOf: URL(fileURLWithPath: dir.file("mask.npy")))
        let theirsMask = try Data(contentsOf: URL(fileURLWithPath: dir.file("theirs_mask.npy")))
        #expect(oursMask == theirsMask)
    }
}

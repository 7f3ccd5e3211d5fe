import Foundation
import MRICore
import MRIIO
import Numerics
import Testing
import TestSupport

/// .cfl and fastMRI .h5, written by numpy/h5py (independent writers) and by MetaGRAPPA,
/// read back to the same samples; 4-D .npy volumes slice by slice.
@Suite struct VolumeFormatTests {
    /// A 2-slice volume [2, 3, 5, 7]: element i of the C-order array is formulaValue(i).
    let volume = "v = ((np.arange(n) * 0.37 - 3) + 1j * (1.5 - np.arange(n) * 0.011)).astype(np.complex64).reshape(2, 3, 5, 7)"

    func expectFormula(_ k: KSpace, slice: Int, _ what: String) {
        #expect(k.shape == [3, 5, 7], "\(what)")
        for i in 0..<(3 * 5 * 7) { #expect(k.data[i] == formulaValue(slice * 105 + i), "\(what) element \(i)") }
    }

    @Test func readsCflAndFastMRIAndNpyVolumesWrittenByPython() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let py = try runPython("""
            import numpy as np, h5py
            n = 2 * 3 * 5 * 7
            \(volume)
            np.save('\(dir.file("v.npy"))', v)
            # BART: column-major [READ, PHS1, PHS2, COIL, ..., SLICE (13)]
            dims = [7, 5, 1, 3] + [1] * 9 + [2] + [1, 1]
            open('\(dir.file("v.hdr"))', 'w').write('# Dimensions\\n' + ' '.join(map(str, dims)) + '\\n# Creator\\ntest\\n')
            v.transpose(3, 2, 1, 0).ravel(order='F').tofile('\(dir.file("v.cfl"))')  # (READ, PHS1, COIL, SLICE), column-major
            with h5py.File('\(dir.file("v.h5"))', 'w') as f:
                f['kspace'] = v.transpose(0, 1, 3, 2)  # fastMRI: [slices, coils, readout, phase]
            with h5py.File('\(dir.file("v128.h5"))', 'w') as f:  # the same in complex128
                f['kspace'] = v.astype(np.complex128).transpose(0, 1, 3, 2)
            """)
        try #require(py.status == 0, "python failed: \(py.stderr)")
        for name in ["v.npy", "v.cfl", "v.hdr", "v.h5", "v128.h5"] {
            let reader = try KSpaceFiles.openReader(dir.file(name))
            #expect(reader.slices == 2, "\(name)")
            for s in 0..<2 { expectFormula(try reader.readSlice(s), slice: s, "\(name) slice \(s)") }
        }
        #expect(throws: MRIError.self) { try KSpaceFiles.readSlice(dir.file("v.cfl")) }  // a volume needs --slice
        expectFormula(try KSpaceFiles.readSlice(dir.file("v.cfl"), slice: 1), slice: 1, "slice 1 by name")
    }

    @Test func writesWhatPythonReads() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let slices = (0..<2).map { s in
            try! KSpace(coils: 3, ny: 5, nx: 7, data: (0..<105).map { formulaValue(s * 105 + $0) })
        }
        for name in ["w.npy", "w.cfl", "w.h5"] {
            let writer = try KSpaceFiles.createWriter(dir.file(name), slices: 2, sliceShape: (3, 5, 7))
            try writer.write(slices[1], slice: 1)  // any order
            try writer.write(slices[0], slice: 0)
            #expect(!FileManager.default.fileExists(atPath: dir.file(name)), "\(name) visible before commit")
            try writer.commit()
        }
        let py = try runPython("""
            import numpy as np, h5py
            n = 2 * 3 * 5 * 7
            \(volume)
            a = np.load('\(dir.file("w.npy"))')
            dims = [int(x) for x in open('\(dir.file("w.hdr"))').read().split('\\n')[1].split()]
            assert dims == [7, 5, 1, 3] + [1] * 9 + [2] + [1, 1], dims
            b = np.fromfile('\(dir.file("w.cfl"))', dtype=np.complex64).reshape(dims[::-1], order='C').reshape(2, 3, 5, 7)
            c = h5py.File('\(dir.file("w.h5"))', 'r')['kspace'][:]
            assert c.dtype == np.complex64 and c.shape == (2, 3, 7, 5), (c.dtype, c.shape)
            for x in (a, b, c.transpose(0, 1, 3, 2)):
                assert x.shape == v.shape and np.array_equal(x, v)
            print('ok')
            """)
        #expect(py.status == 0 && py.stdout.contains("ok"), "python check failed: \(py.stderr)")
        // Dropped without commit: no file, no temporary left behind.
        do {
            let writer = try KSpaceFiles.createWriter(dir.file("dropped.h5"), slices: 2, sliceShape: (3, 5, 7))
            try writer.write(slices[0], slice: 0)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["w.cfl", "w.h5", "w.hdr", "w.npy"])
    }

    @Test func readsBartPhantom() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/bart"), "bart is missing: run scripts/install-deps")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let r = try runProcess("/usr/bin/bart", ["phantom", "-k", "-s", "4", "-x", "32", dir.file("p")])
        try #require(r.status == 0, "bart failed: \(r.stderr)")
        // bart's own view of sample (coil 2, ky 3, kx 5), read back through `bart slice` + `bart show`.
        let k = try KSpaceFiles.readSlice(dir.file("p.cfl"))
        #expect(k.shape == [4, 32, 32])
        let e = try runProcess("/usr/bin/bart", ["slice", "0", "5", "1", "3", "3", "2", dir.file("p"), dir.file("s")])
        try #require(e.status == 0, "bart slice failed: \(e.stderr)")
        // `bart show` prints one complex number as "+1.697140e+01+2.883104e+02i".
        let shown = try runProcess("/usr/bin/bart", ["show", dir.file("s")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pattern = try Regex("^([+-][0-9.e+-]+?)([+-][0-9.]+e[+-][0-9]+)i$")
        let match = try #require(shown.wholeMatch(of: pattern), "unexpected bart show output '\(shown)'")
        let (re, im) = (Float(String(match.output[1].substring!))!, Float(String(match.output[2].substring!))!)
        let value = k[2, 3, 5]
        #expect(abs(re - value.real) <= 1e-5 * max(1, abs(re)) && abs(im - value.imaginary) <= 1e-5 * max(1, abs(im)),
                "bart shows \(shown), we read \(value)")
    }
}

/// Structurally wrong files (wrong types, absurd dimensions, missing datasets), made by
/// Python: each is refused with an error that names the problem.
@Suite struct MalformedVolumeTests {
    @Test func refusedWithClearErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let py = try runPython("""
            import numpy as np, h5py
            d = '\(dir.path)/'
            def hdr(name, line, data_bytes=0):
                open(d + name + '.hdr', 'w').write('# Dimensions\\n' + line + '\\n')
                open(d + name + '.cfl', 'wb').write(b'\\0' * data_bytes)
            hdr('zero', '8 0 1 4')
            hdr('negative', '8 -8 1 4')
            hdr('words', '8 eight 1 4')
            hdr('many', ' '.join(['1'] * 17))
            hdr('overflow', '4294967296 4294967296 1 4294967296')
            hdr('partitions', '8 8 4 2', 8 * 8 * 4 * 2 * 8)
            hdr('maps', '8 8 1 2 3', 8 * 8 * 2 * 3 * 8)
            hdr('short', '8 8 1 2', 100)
            open(d + 'nodims.hdr', 'w').write('# Command\\nphantom\\n'); open(d + 'nodims.cfl', 'wb').write(b'\\0' * 8)
            open(d + 'nohdr.cfl', 'wb').write(b'\\0' * 8)
            with h5py.File(d + 'real.h5', 'w') as f: f['kspace'] = np.zeros((1, 2, 8, 8), np.float32)
            with h5py.File(d + 'rank3.h5', 'w') as f: f['kspace'] = np.zeros((2, 8, 8), np.complex64)
            with h5py.File(d + 'none.h5', 'w') as f: f['image'] = np.zeros((2, 8, 8), np.complex64)
            with h5py.File(d + 'huge.h5', 'w') as f:
                f.create_dataset('kspace', shape=(1, 64, 1 << 20, 1 << 20), dtype=np.complex64, chunks=(1, 1, 64, 64))
            with h5py.File(d + 'fields.h5', 'w') as f:
                f['kspace'] = np.zeros((1, 2, 8, 8), dtype=[('a', '<f4'), ('b', '<f4')])
            open(d + 'text.h5', 'w').write('not hdf5 at all')
            """)
        try #require(py.status == 0, "python failed: \(py.stderr)")
        let cases: [(String, String)] = [
            ("zero.cfl", "at least 1"), ("negative.cfl", "at least 1"), ("words.cfl", "integers"), ("many.cfl", "1 to 16"),
            ("overflow.cfl", "overflow"), ("partitions.cfl", "3-D encoding"), ("maps.cfl", "dimension 4"),
            ("short.cfl", "need"), ("nodims.cfl", "# Dimensions"), ("nohdr.cfl", "nohdr.hdr"),
            ("real.h5", "complex"), ("rank3.h5", "rank 4"), ("none.h5", "neither fastMRI"), ("huge.h5", "too large"),
            ("fields.h5", "members"), ("text.h5", "not an HDF5 file"), ("missing.h5", "cannot open"),
        ]
        for (name, phrase) in cases {
            let error = #expect(throws: MRIError.self, "\(name)") { _ = try KSpaceFiles.readSlice(dir.file(name), slice: 0) }
            #expect(error?.message.contains(phrase) == true, "\(name): '\(error?.message ?? "no error")' lacks '\(phrase)'")
            #expect(error?.message.contains(name.split(separator: ".")[0]) == true, "\(name): message does not name the file")
        }
    }
}

/// Inputs that libFuzzer found (Fuzz/regressions, RELIABILITY.md): each must be refused
/// with a clear error by the check that was added for it, before HDF5 allocates or
/// converts anything (in this process: a crash would fail the whole run).
@Suite struct FuzzRegressionTests {
    static let expected = [
        "ismrmrd-xml-length-2GiB.h5": "at most 16 MiB",
        "fastmri-member-size-4GiB.h5": "complex64 or complex128",
        "fastmri-compound-conversion-segv.h5": "complex64 or complex128",
        "fastmri-dims-beyond-storage-3GiB.h5": "but the file stores",
    ]

    @Test func everyRegressionIsRefused() throws {
        let dir = packageRoot + "/Fuzz/regressions/h5"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(Set(files) == Set(Self.expected.keys), "regression files and expectations differ: \(files)")
        for name in files {
            let error = #expect(throws: MRIError.self, "\(name)") {
                let reader = try KSpaceFiles.openReader(dir + "/" + name)
                for s in 0..<reader.slices { _ = try reader.readSlice(s) }
            }
            #expect(error?.message.contains(Self.expected[name] ?? "?") == true, "\(name): \(error?.message ?? "no error")")
        }
    }
}

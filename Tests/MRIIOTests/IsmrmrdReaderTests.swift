import Foundation
import MRICore
import MRIIO
import Numerics
import Testing
import TestSupport

/// ISMRMRD files made by ISMRMRD's own generator, assembled by MetaGRAPPA and,
/// independently, by h5py.
@Suite struct IsmrmrdReaderTests {
    /// Runs `body` (Python) with `variant(name, edit)` defined: a copy of `full.h5` in `dir`
    /// named `name.h5`, edited by `edit(f)` on the open h5py file; numpy is `np`.
    static func variants(_ dir: TemporaryDirectory, _ body: String) throws -> ProcessResult {
        try runPython("""
            import h5py, shutil, numpy as np
            src = '\(dir.file("full.h5"))'
            def variant(name, edit):
                dst = '\(dir.path)/' + name + '.h5'
                shutil.copy(src, dst)
                with h5py.File(dst, 'r+') as f:
                    edit(f)
            """ + "\n" + body)
    }

    @Test func assemblesWhatH5pyAssembles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try generateIsmrmrdPhantom(dir.file("acc.h5"), acceleration: 4)
        let reader = try KSpaceFiles.openReader(dir.file("acc.h5"))
        #expect(reader.format == .ismrmrd)
        // The generator acquires each of 4 repetitions on a shifted lattice: 4 slices.
        #expect(reader.slices == 4)
        #expect(reader.sliceShape.coils == 4 && reader.sliceShape.ny == 64 && reader.sliceShape.nx == 128)
        let writer = try KSpaceFiles.createWriter(dir.file("ours.npy"), slices: 4, sliceShape: reader.sliceShape)
        for s in 0..<4 { try writer.write(try reader.readSlice(s), slice: s) }
        try writer.commit()
        for s in 0..<4 {
            let lattice = try #require(try reader.acquiredLines(slice: s)).lattice()
            #expect(lattice.acceleration == 4 && lattice.offset == s, "repetition \(s): \(lattice)")
        }
        let py = try runPython("""
            import numpy as np, h5py
            d = h5py.File('\(dir.file("acc.h5"))', 'r')['dataset/data']
            out = np.zeros((4, 4, 64, 128), np.complex64)
            skipped = 0
            for rec in d:
                h = rec['head']
                if h['flags'] & (1 << 18):  # ACQ_IS_NOISE_MEASUREMENT (bit 19)
                    skipped += 1
                    continue
                x = rec['data'].view(np.complex64).reshape(h['active_channels'], h['number_of_samples'])
                out[h['idx']['repetition'], :, h['idx']['kspace_encode_step_1'], :] = x
            ours = np.load('\(dir.file("ours.npy"))')
            assert skipped == 1, skipped
            assert np.array_equal(ours, out), np.abs(ours - out).max()
            print('ok')
            """)
        #expect(py.status == 0 && py.stdout.contains("ok"), "python check failed: \(py.stderr)")
    }

    @Test func refusesWhatItDoesNotSupport() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try generateIsmrmrdPhantom(dir.file("full.h5"))
        // Copies of the file with one thing changed, by h5py.
        let py = try Self.variants(dir, """
            def set_head(field, value, sub=None):
                def edit(f):
                    d = f['dataset/data']
                    rec = d[5]
                    if sub: rec['head'][sub][field] = value
                    else: rec['head'][field] = value
                    d[5] = rec
                return edit
            variant('step2', set_head('kspace_encode_step_2', 3, 'idx'))
            variant('phase', set_head('phase', 1, 'idx'))
            variant('samples', set_head('number_of_samples', 64))
            def radial(f):
                x = f['dataset/xml'][0].decode().replace('<trajectory>cartesian</trajectory>', '<trajectory>radial</trajectory>')
                del f['dataset/xml']
                f.create_dataset('dataset/xml', data=[x.encode()], dtype=h5py.string_dtype())
            variant('radial', radial)
            def noxml(f): del f['dataset/xml']
            variant('noxml', noxml)
            def alldata(f): del f['dataset/data']
            variant('nodata', alldata)
            """)
        try #require(py.status == 0, "python failed: \(py.stderr)")
        // kspace_encode_step_2 is a partition (3-D): one acquisition at partition 3 makes 4.
        #expect(try KSpaceFiles.openReader(dir.file("step2.h5")).partitions == 4)
        let expected = ["phase": "phase", "samples": "samples", "radial": "radial",
                        "noxml": "xml", "nodata": "neither fastMRI"]
        for (name, phrase) in expected {
            let error = #expect(throws: MRIError.self, "\(name)") {
                let r = try KSpaceFiles.openReader(dir.file(name + ".h5"))
                for s in 0..<r.slices { _ = try r.readSlice(s) }
            }
            #expect(error?.message.contains(phrase) == true, "\(name): \(error?.message ?? "no error")")
        }
    }

    /// The XML header as h5py writes a new file's strings (UTF-8) as well as ISMRMRD's C
    /// library does (ASCII): HDF5 converts no string between the two, so each is read in its
    /// own. The header's matrix (80 lines for 64 acquired) shows it was read.
    @Test func readsAnXMLHeaderStoredInEitherCharacterSet() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try generateIsmrmrdPhantom(dir.file("full.h5"))
        let py = try runPython("""
            import h5py
            src = h5py.File('\(dir.file("full.h5"))', 'r')
            xml = src['dataset/xml'][0].decode().replace('<y>64</y>', '<y>80</y>', 1)
            for encoding in ['utf-8', 'ascii']:
                with h5py.File('\(dir.path)/' + encoding + '.h5', 'w') as f:
                    f.create_dataset('dataset/data', data=src['dataset/data'][:])
                    f.create_dataset('dataset/xml', data=[xml.encode()], dtype=h5py.string_dtype(encoding))
            """)
        try #require(py.status == 0, "python failed: \(py.stderr)")
        for encoding in ["utf-8", "ascii"] {
            let reader = try KSpaceFiles.openReader(dir.file(encoding + ".h5"))
            #expect(reader.sliceShape.ny == 80 && reader.sliceShape.coils == 4, "\(encoding): \(reader.sliceShape)")
        }
    }

    /// A reversed readout is flipped back, repeated averages are averaged, and navigator and
    /// phase-correction acquisitions (here with garbage data on an imaging line) are skipped.
    @Test func reversedAveragedAndSkippedAcquisitions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try generateIsmrmrdPhantom(dir.file("full.h5"))
        let py = try Self.variants(dir, """
            def imaging(d):
                return next(i for i in range(len(d)) if not d[i]['head']['flags'] & (1 << 18))
            def reverse(f):
                d = f['dataset/data']
                i = imaging(d); rec = d[i]; h = rec['head']
                x = rec['data'].view(np.complex64).reshape(h['active_channels'], h['number_of_samples'])
                rec['data'] = np.ascontiguousarray(x[:, ::-1]).view(np.float32).ravel()
                rec['head']['flags'] |= 1 << 21          # ACQ_IS_REVERSE (bit 22)
                d[i] = rec
            def append(d, rec):
                d.resize((len(d) + 1,)); d[len(d) - 1] = rec
            def average(f):
                d = f['dataset/data']
                rec = d[imaging(d)]
                rec['data'] = rec['data'] * 3
                rec['head']['idx']['average'] = 1
                append(d, rec)
            def skipped(f):
                d = f['dataset/data']
                for bit in (22, 23):                     # navigation (23), phase correction (24)
                    rec = d[imaging(d)]
                    rec['data'] = np.full_like(rec['data'], 1e3)
                    rec['head']['flags'] |= 1 << bit
                    append(d, rec)
            variant('reversed', reverse)
            variant('averaged', average)
            variant('skipped', skipped)
            with h5py.File(src, 'r') as f:
                d = f['dataset/data']
                print(d[imaging(d)]['head']['idx']['kspace_encode_step_1'])
            """)
        try #require(py.status == 0, "python failed: \(py.stderr)")
        let line = try #require(Int(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let original = try KSpaceFiles.openReader(dir.file("full.h5")).readSlice(0)
        #expect(try KSpaceFiles.openReader(dir.file("reversed.h5")).readSlice(0) == original)
        #expect(try KSpaceFiles.openReader(dir.file("skipped.h5")).readSlice(0) == original)
        let averaged = try KSpaceFiles.openReader(dir.file("averaged.h5")).readSlice(0)
        var expected = original
        for c in 0..<original.coils { for x in 0..<original.nx { expected[c, line, x] = original[c, line, x] * Complex(2, 0) } }
        #expect(averaged == expected, "line \(line): (1× + 3×)/2 expected")
        #expect(averaged != original)
    }
}

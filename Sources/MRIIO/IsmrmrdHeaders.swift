import CHDF5
import Foundation
import MRICore

/// The parts of ISMRMRD's acquisition records MetaGRAPPA reads, through HDF5 compound
/// types that name only those members (HDF5 converts by member name, so the file's
/// other fields and their order do not matter).
enum IsmrmrdHeaders {
    /// One acquisition's header fields.
    struct Header {
        var flags: UInt64
        var samples: Int, channels: Int
        var encodeStep1: Int, encodeStep2: Int
        var slice: Int, repetition: Int, contrast: Int, phase: Int, set: Int
        /// The readout sample at k-space centre (`center_sample`; 0 if not recorded).
        var centreSample: Int
    }

    private static let recordSize = 30
    private static let idxFields = ["kspace_encode_step_1", "kspace_encode_step_2", "average", "slice", "contrast",
                                    "phase", "repetition", "set"]

    /// `{head: {flags, number_of_samples, active_channels, idx: {…}, center_sample}}`, 30 bytes.
    private static func headerType() -> HDF5.Handle {
        HDF5.locked {
            let idx = mg_H5Tcreate(H5T_COMPOUND, 16)
            for (i, name) in idxFields.enumerated() { mg_H5Tinsert(idx, name, 2 * i, mg_h5t_native_uint16()) }
            let head = mg_H5Tcreate(H5T_COMPOUND, recordSize)
            mg_H5Tinsert(head, "flags", 0, mg_h5t_native_uint64())
            mg_H5Tinsert(head, "number_of_samples", 8, mg_h5t_native_uint16())
            mg_H5Tinsert(head, "active_channels", 10, mg_h5t_native_uint16())
            mg_H5Tinsert(head, "idx", 12, idx)
            mg_H5Tinsert(head, "center_sample", 28, mg_h5t_native_uint16())
            let record = mg_H5Tcreate(H5T_COMPOUND, recordSize)
            mg_H5Tinsert(record, "head", 0, head)
            mg_H5Tclose(idx)
            mg_H5Tclose(head)
            return HDF5.Handle(record, close: mg_H5Tclose)!
        }
    }

    /// Every acquisition's header.
    static func read(_ dataset: HDF5.Handle, source: String) throws -> [Header] {
        let dims = HDF5.dimensions(dataset)
        guard dims.count == 1, dims[0] > 0, dims[0] <= 1 << 24 else {
            throw MRIError(.format, "\(source): '/dataset/data' must be a 1-D list of acquisitions, found dimensions \(dims)")
        }
        let n = dims[0]
        var bytes = [UInt8](repeating: 0, count: recordSize * n)
        let type = headerType()
        let status = HDF5.locked {
            bytes.withUnsafeMutableBytes {
                mg_H5Dread(dataset.id, type.id, mg_h5s_all(), mg_h5s_all(), mg_h5p_default(), $0.baseAddress!)
            }
        }
        guard status >= 0 else {
            throw MRIError(.format, "\(source): '/dataset/data' records cannot be read as ISMRMRD acquisitions (no 'head' with flags, number_of_samples, active_channels, idx?)")
        }
        return bytes.withUnsafeBytes { raw in
            (0..<n).map { i in
                let o = recordSize * i
                func u16(_ at: Int) -> Int { Int(raw.loadUnaligned(fromByteOffset: o + at, as: UInt16.self)) }
                return Header(flags: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self), samples: u16(8), channels: u16(10),
                              encodeStep1: u16(12), encodeStep2: u16(14), slice: u16(18), repetition: u16(24),
                              contrast: u16(20), phase: u16(22), set: u16(26), centreSample: u16(28))
            }
        }
    }

    /// Every acquisition's `sample_time_us` (its readout's dwell time), or nil if the records
    /// have none that reads as a number.
    static func sampleTimes(_ dataset: HDF5.Handle) -> [Float]? {
        let n = HDF5.dimensions(dataset)[0]
        var times = [Float](repeating: 0, count: n)
        let status: Int32 = HDF5.locked {
            let head = mg_H5Tcreate(H5T_COMPOUND, 4)
            mg_H5Tinsert(head, "sample_time_us", 0, mg_h5t_native_float())
            let record = mg_H5Tcreate(H5T_COMPOUND, 4)
            mg_H5Tinsert(record, "head", 0, head)
            defer { mg_H5Tclose(record); mg_H5Tclose(head) }
            return times.withUnsafeMutableBytes {
                mg_H5Dread(dataset.id, record, mg_h5s_all(), mg_h5s_all(), mg_h5p_default(), $0.baseAddress!)
            }
        }
        return status >= 0 ? times : nil
    }

    /// Every acquisition's `position`, `read_dir`, `phase_dir` and `slice_dir` (12 floats each),
    /// or nil if the records do not have them.
    static func placements(_ dataset: HDF5.Handle) -> [Float]? {
        let n = HDF5.dimensions(dataset)[0]
        var values = [Float](repeating: 0, count: 12 * n)
        let status: Int32 = HDF5.locked {
            var three: hsize_t = 3
            let vector = mg_H5Tarray_create2(mg_h5t_native_float(), 1, &three)
            let head = mg_H5Tcreate(H5T_COMPOUND, 48)
            for (i, name) in ["position", "read_dir", "phase_dir", "slice_dir"].enumerated() { mg_H5Tinsert(head, name, 12 * i, vector) }
            let record = mg_H5Tcreate(H5T_COMPOUND, 48)
            mg_H5Tinsert(record, "head", 0, head)
            defer { mg_H5Tclose(record); mg_H5Tclose(head); mg_H5Tclose(vector) }
            return values.withUnsafeMutableBytes {
                mg_H5Dread(dataset.id, record, mg_h5s_all(), mg_h5s_all(), mg_h5p_default(), $0.baseAddress!)
            }
        }
        return status >= 0 ? values : nil
    }

    /// The `data` floats of acquisition `index`, which must number `expected`.
    static func readData(_ dataset: HDF5.Handle, index: Int, expected: Int, source: String) throws -> [Float] {
        let result: [Float]? = HDF5.locked {
            let vlen = mg_H5Tvlen_create(mg_h5t_native_float())
            defer { mg_H5Tclose(vlen) }
            guard let record = HDF5.Handle(mg_H5Tcreate(H5T_COMPOUND, MemoryLayout<hvl_t>.size), close: mg_H5Tclose) else { return nil }
            mg_H5Tinsert(record.id, "data", 0, vlen)
            let n = HDF5.dimensions(dataset)[0]
            let fileSpace = HDF5.space([n], start: [index], count: [1])
            let memSpace = HDF5.space([1])
            // The record's length comes from the file: check it before HDF5 allocates it.
            var needed: hsize_t = 0
            guard mg_H5Dvlen_get_buf_size(dataset.id, record.id, fileSpace.id, &needed) >= 0 else { return nil }
            guard needed == hsize_t(expected * MemoryLayout<Float>.size) else { return [] }
            var v = hvl_t(len: 0, p: nil)
            guard mg_H5Dread(dataset.id, record.id, memSpace.id, fileSpace.id, mg_h5p_default(), &v) >= 0 else { return nil }
            defer { mg_H5Dvlen_reclaim(record.id, memSpace.id, mg_h5p_default(), &v) }
            guard v.len == expected, let p = v.p else { return [] }
            return Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Float.self), count: expected))
        }
        guard let result else { throw MRIError(.format, "\(source): data of acquisition \(index) cannot be read") }
        guard result.count == expected else {
            throw MRIError(.format, "\(source): acquisition \(index) holds the wrong number of samples (expected \(expected) floats)")
        }
        return result
    }
}

import CHDF5
import Foundation
import MRICore

/// Small, safe helpers over the HDF5 C library (Debian's serial build, which is not
/// thread-safe: every call goes through ``HDF5/locked(_:)``). The library is loaded on
/// first use (see the CHDF5 shim): ``requireLibrary(for:)`` comes before any other call.
enum HDF5 {
    private static let lock = NSRecursiveLock()
    private static let loaded: Bool = mg_h5_load() == 0

    /// Loads libhdf5 if need be; a machine without it gets a clear error, not a crash.
    static func requireLibrary(for path: String) throws {
        guard locked({ loaded }) else {
            throw MRIError(.io, "\(path): HDF5 files need libhdf5 (Debian: apt-get install libhdf5-103-1), which could not be loaded")
        }
    }

    /// Runs `body` holding the library lock.
    static func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// An identifier closed by its own close function when released.
    final class Handle {
        let id: hid_t
        private let close: (hid_t) -> herr_t
        init?(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
            guard id >= 0 else { return nil }
            self.id = id
            self.close = close
        }
        deinit { HDF5.locked { _ = close(id) } }
    }

    /// Opens an existing file read-only; a file that is not HDF5 is a format error.
    static func openFile(_ path: String) throws -> Handle {
        try requireLibrary(for: path)
        return try locked {
            // Existence and kind first, for a clear message.
            _ = try BinaryFile.withOpenFile(path) { _, _ in () }
            guard mg_H5Fis_hdf5(path) > 0 else { throw MRIError(.format, "\(path): not an HDF5 file") }
            guard let f = Handle(mg_H5Fopen(path, mg_h5f_acc_rdonly(), mg_h5p_default()), close: mg_H5Fclose) else {
                throw MRIError(.format, "\(path): HDF5 file cannot be opened (damaged?)")
            }
            return f
        }
    }

    /// Whether `name` (a path inside the file) exists, following each component.
    static func exists(_ file: Handle, _ name: String) -> Bool {
        locked {
            var prefix = ""
            for part in name.split(separator: "/") {
                prefix += "/" + part
                guard mg_H5Lexists(file.id, prefix, mg_h5p_default()) > 0 else { return false }
            }
            return true
        }
    }

    /// Opens dataset `name`, or throws naming the file and what was expected.
    static func dataset(_ file: Handle, _ name: String, source: String, expected: String) throws -> Handle {
        guard exists(file, name) else { throw MRIError(.format, "\(source): no dataset '\(name)' (\(expected))") }
        return try locked {
            guard let d = Handle(mg_H5Dopen2(file.id, name, mg_h5p_default()), close: mg_H5Dclose) else {
                throw MRIError(.format, "\(source): '\(name)' is not a readable dataset (\(expected))")
            }
            return d
        }
    }

    /// The dimensions of a dataset's dataspace.
    static func dimensions(_ dataset: Handle) -> [Int] {
        locked {
            guard let space = Handle(mg_H5Dget_space(dataset.id), close: mg_H5Sclose) else { return [] }
            let rank = Int(mg_H5Sget_simple_extent_ndims(space.id))
            guard rank > 0, rank <= 32 else { return [] }
            var dims = [hsize_t](repeating: 0, count: rank)
            mg_H5Sget_simple_extent_dims(space.id, &dims, nil)
            return dims.map { $0 > hsize_t(Int.max) ? -1 : Int($0) }
        }
    }

    /// The bytes a contiguous (unchunked) dataset stores, or nil for chunked and compact
    /// layouts, whose stored size says nothing about the data's (fill values, compression).
    static func contiguousStorage(_ dataset: Handle) -> Int? {
        locked {
            guard let plist = Handle(mg_H5Dget_create_plist(dataset.id), close: mg_H5Pclose),
                  mg_H5Pget_layout(plist.id) == H5D_CONTIGUOUS else { return nil }
            return Int(clamping: mg_H5Dget_storage_size(dataset.id))
        }
    }

    /// The stored element size in bytes of a dataset's type.
    static func elementSize(_ dataset: Handle) -> Int {
        locked {
            guard let type = Handle(mg_H5Dget_type(dataset.id), close: mg_H5Tclose) else { return 0 }
            return mg_H5Tget_size(type.id)
        }
    }

    /// The names, classes and stored sizes of a compound type's members (empty if it is
    /// not a compound).
    static func compoundMembers(_ dataset: Handle) -> [(name: String, typeClass: H5T_class_t, size: Int)] {
        locked {
            guard let type = Handle(mg_H5Dget_type(dataset.id), close: mg_H5Tclose),
                  mg_H5Tget_class(type.id) == H5T_COMPOUND else { return [] }
            let n = max(0, Int(mg_H5Tget_nmembers(type.id)))
            return (0..<n).map { i in
                let cName = mg_H5Tget_member_name(type.id, UInt32(i))
                defer { if let cName { mg_H5free_memory(cName) } }
                let memberType = Handle(mg_H5Tget_member_type(type.id, UInt32(i)), close: mg_H5Tclose)
                return (cName.map { String(cString: $0) } ?? "", mg_H5Tget_member_class(type.id, UInt32(i)),
                        memberType.map { mg_H5Tget_size($0.id) } ?? 0)
            }
        }
    }

    /// The compound `{re, im}` of two float32 (or, `wide`, float64) with the given member
    /// names (h5py's complex64 uses `r`, `i`), laid out as `Complex<Float>` (`Complex<Double>`).
    static func complexType(real: String, imaginary: String, wide: Bool = false) -> Handle {
        locked {
            let part = wide ? 8 : 4
            let t = mg_H5Tcreate(H5T_COMPOUND, 2 * part)
            let float = wide ? mg_h5t_native_double() : mg_h5t_native_float()
            mg_H5Tinsert(t, real, 0, float)
            mg_H5Tinsert(t, imaginary, part, float)
            return Handle(t, close: mg_H5Tclose)!
        }
    }

    /// Whether a dataset's stored type is exactly `type` (then HDF5 reads it without any
    /// conversion: its compound conversion crashed on a damaged type found by fuzzing).
    static func storedType(of dataset: Handle, equals type: Handle) -> Bool {
        locked {
            guard let stored = Handle(mg_H5Dget_type(dataset.id), close: mg_H5Tclose) else { return false }
            return mg_H5Tequal(stored.id, type.id) > 0
        }
    }

    /// A simple dataspace with a hyperslab `start`, `count` selected (nil: the whole space).
    static func space(_ dims: [Int], start: [Int]? = nil, count: [Int]? = nil) -> Handle {
        locked {
            let s = Handle(mg_H5Screate_simple(Int32(dims.count), dims.map { hsize_t($0) }, nil), close: mg_H5Sclose)!
            if let start, let count {
                mg_H5Sselect_hyperslab(s.id, H5S_SELECT_SET, start.map { hsize_t($0) }, nil, count.map { hsize_t($0) }, nil)
            }
            return s
        }
    }
}

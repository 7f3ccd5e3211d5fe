import CHDF5
import Foundation
import MRICore
import Numerics

/// A fastMRI HDF5 file: dataset `kspace`, complex (h5py's compound `{r, i}`, float32 or
/// float64), `[slices, coils, readout, phase]`. The phase-encode axis is the **last** one,
/// so each slice is transposed into MetaGRAPPA's `[coils, ky, kx]` on reading and back on
/// writing. Slices are read one at a time (a hyperslab each).
public final class FastMRIVolumeReader: KSpaceVolumeReader {
    public let source: String
    public let format = KSpaceFormat.fastMRI
    public let slices: Int
    public let sliceShape: (coils: Int, ny: Int, nx: Int)
    private let file: HDF5.Handle
    private let dataset: HDF5.Handle
    private let memoryType: HDF5.Handle
    /// Whether the file holds complex128 (read as such, then rounded to complex64).
    private let wide: Bool

    /// Opens `path` and checks the `kspace` dataset's type and shape.
    public init(_ path: String) throws {
        source = path
        file = try HDF5.openFile(path)
        let expected = "fastMRI k-space: complex [slices, coils, readout, phase]"
        let dataset = try HDF5.dataset(file, "kspace", source: path, expected: expected)
        self.dataset = dataset
        // Only the exact complex64/complex128 layouts h5py writes are read, without any HDF5
        // type conversion: a damaged stored type made HDF5 allocate gigabytes, and its
        // compound conversion crash (both found by fuzzing).
        let members = HDF5.compoundMembers(dataset)
        let names = members.map(\.name)
        let candidates = [("r", "i"), ("real", "imag")].flatMap { n in [false, true].map { (n, $0) } }
        guard let match = candidates.first(where: { n, wide in
            HDF5.storedType(of: dataset, equals: HDF5.complexType(real: n.0, imaginary: n.1, wide: wide))
        }) else {
            throw MRIError(.format, "\(path): 'kspace' must be complex64 or complex128 (a compound of two little-endian float32 or float64 named r, i), found \(members.isEmpty ? "a non-compound type" : "members \(names) of \(members.map(\.size)) bytes in \(HDF5.elementSize(dataset))")")
        }
        wide = match.1
        memoryType = HDF5.complexType(real: match.0.0, imaginary: match.0.1, wide: match.1)
        let dims = HDF5.dimensions(dataset)
        guard dims.count == 4 else {
            throw MRIError(.format, "\(path): 'kspace' must have rank 4 [slices, coils, readout, phase], found dimensions \(dims)")
        }
        guard dims.allSatisfy({ $0 > 0 }), let count = BinaryFile.checkedProduct(dims.suffix(3).map { $0 }, limit: 1 << 31) else {
            throw MRIError(.format, "\(path): 'kspace' dimensions \(dims) are empty or too large for one slice in memory")
        }
        // A damaged dimension must not size a slice buffer before HDF5 finds the data missing.
        let needed = dims[0].multipliedReportingOverflow(by: count * (match.1 ? 16 : 8))
        if let stored = HDF5.contiguousStorage(dataset), needed.overflow || stored < needed.partialValue {
            throw MRIError(.format, "\(path): 'kspace' \(dims) needs \(needed.overflow ? "more than 2⁶³" : "\(needed.partialValue)") bytes but the file stores \(stored) (truncated or damaged file)")
        }
        slices = dims[0]
        sliceShape = (dims[1], dims[3], dims[2])
    }

    public func readSlice(_ index: Int) throws -> KSpace {
        try checkSlice(index)
        let (c, ny, nx) = sliceShape
        let n = c * ny * nx
        var raw = [UInt8](repeating: 0, count: n * (wide ? 16 : 8))
        let status = HDF5.locked {
            let (fileSpace, memSpace) = FastMRILayout.spaces(slice: index, of: slices, shape: sliceShape)
            return raw.withUnsafeMutableBytes {
                mg_H5Dread(dataset.id, memoryType.id, memSpace.id, fileSpace.id, mg_h5p_default(), $0.baseAddress!)
            }
        }
        guard status >= 0 else { throw MRIError(.format, "\(source): slice \(index) of 'kspace' cannot be read (truncated or damaged file)") }
        let stored: [Complex<Float>] = raw.withUnsafeBytes { r in
            guard wide else { return Array(r.bindMemory(to: Complex<Float>.self)) }
            return BinaryFile.narrowed(r.bindMemory(to: Double.self))
        }
        let k = try KSpace(coils: c, ny: ny, nx: nx, data: FastMRILayout.transpose(stored, coils: c, rows: nx, columns: ny))
        try k.validateFinite(source: slices > 1 ? "\(source) slice \(index)" : source)
        return k
    }
}

/// Writes a fastMRI-layout HDF5 file (`kspace`, complex64 as h5py stores it) slice by
/// slice; the file is built under a hidden temporary name and renamed on ``commit()``.
public final class FastMRIVolumeWriter: KSpaceVolumeWriter {
    private let path: String
    private let temporary: String
    private var file: HDF5.Handle?
    private var dataset: HDF5.Handle?
    private let memoryType: HDF5.Handle
    private let slices: Int
    private let shape: (coils: Int, ny: Int, nx: Int)

    /// Starts `path` for `slices` slices of `shape`.
    public init(path: String, slices: Int, sliceShape shape: (coils: Int, ny: Int, nx: Int)) throws {
        try HDF5.requireLibrary(for: path)
        self.path = path
        temporary = try AtomicFile.temporaryPath(for: path)
        (self.slices, self.shape) = (slices, shape)
        let type = HDF5.complexType(real: "r", imaginary: "i")
        memoryType = type
        let temporary = temporary
        let (f, d): (HDF5.Handle?, HDF5.Handle?) = HDF5.locked {
            guard let f = HDF5.Handle(mg_H5Fcreate(temporary, mg_h5f_acc_trunc(), mg_h5p_default(), mg_h5p_default()),
                                      close: mg_H5Fclose) else { return (nil, nil) }
            let space = HDF5.space([slices, shape.coils, shape.nx, shape.ny])
            let d = HDF5.Handle(mg_H5Dcreate2(f.id, "kspace", type.id, space.id, mg_h5p_default(), mg_h5p_default(),
                                           mg_h5p_default()), close: mg_H5Dclose)
            return (f, d)
        }
        guard let f, let d else {
            AtomicFile.discard(temporary)
            throw MRIError(.io, "\(path): cannot create an HDF5 file next to it")
        }
        file = f
        dataset = d
    }

    public func write(_ k: KSpace, slice index: Int) throws {
        try SliceCheck.check(k, index: index, slices: slices, shape: shape, path: path)
        let (c, ny, nx) = shape
        let stored = FastMRILayout.transpose(k.data, coils: c, rows: ny, columns: nx)
        guard let dataset else { throw MRIError(.io, "\(path): written after commit") }
        let status = HDF5.locked {
            let (fileSpace, memSpace) = FastMRILayout.spaces(slice: index, of: slices, shape: shape)
            return stored.withUnsafeBytes {
                mg_H5Dwrite(dataset.id, memoryType.id, memSpace.id, fileSpace.id, mg_h5p_default(), $0.baseAddress!)
            }
        }
        guard status >= 0 else { throw MRIError(.io, "\(path): writing slice \(index) failed (disk full?)") }
    }

    public func commit() throws {
        guard let id = file?.id else { return }
        let flushed = HDF5.locked { mg_H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 }
        // Releasing the handles closes the dataset, then the file, before the rename.
        dataset = nil
        file = nil
        guard flushed else {
            AtomicFile.discard(temporary)
            throw MRIError(.io, "\(path): cannot finish the HDF5 file (flushing it failed: disk full?)")
        }
        try AtomicFile.finish(temporary, renamingTo: path)
    }

    deinit {
        if file != nil {
            dataset = nil
            file = nil
            AtomicFile.discard(temporary)
        }
    }
}

/// fastMRI keeps the phase-encode axis last; MetaGRAPPA keeps it before the readout.
enum FastMRILayout {
    /// The file dataspace `[slices, coils, readout, phase]` with slice `index` selected, and
    /// the memory dataspace of one slice `[coils, readout, phase]`.
    static func spaces(slice index: Int, of slices: Int,
                       shape: (coils: Int, ny: Int, nx: Int)) -> (file: HDF5.Handle, memory: HDF5.Handle) {
        let (c, ny, nx) = shape
        return (HDF5.space([slices, c, nx, ny], start: [index, 0, 0, 0], count: [1, c, nx, ny]), HDF5.space([c, nx, ny]))
    }

    /// Transposes each coil's `rows × columns` plane.
    static func transpose(_ data: [Complex<Float>], coils: Int, rows: Int, columns: Int) -> [Complex<Float>] {
        var out = [Complex<Float>](repeating: .zero, count: data.count)
        let plane = rows * columns
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<coils {
                    let (s, d) = (src.baseAddress! + c * plane, dst.baseAddress! + c * plane)
                    for r in 0..<rows { for col in 0..<columns { d[col * rows + r] = s[r * columns + col] } }
                }
            }
        }
        return out
    }
}

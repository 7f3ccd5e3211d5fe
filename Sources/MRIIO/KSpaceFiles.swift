import Foundation
import MRICore

/// Opens and creates k-space files in whichever format their name says: `.npy`,
/// `.cfl`/`.hdr` (BART), `.h5`/`.hdf5` (read: fastMRI or ISMRMRD, told apart by their
/// datasets; written: fastMRI layout), `.dat` (Siemens raw data, read only).
public enum KSpaceFiles {
    /// File extensions accepted for k-space.
    public static let extensions = ["npy", "cfl", "hdr", "h5", "hdf5", "dat"]
    /// File extensions accepted for written k-space.
    public static let outputExtensions = ["npy", "cfl", "h5", "hdf5", "nii", "nii.gz"]

    /// The extension that names `path`'s format, lower case (`nii.gz` counts as one).
    public static func formatExtension(_ path: String) -> String {
        path.lowercased().hasSuffix(".nii.gz") ? "nii.gz" : URL(fileURLWithPath: path).pathExtension.lowercased()
    }

    /// Opens `path` for slice-by-slice reading.
    public static func openReader(_ path: String) throws -> any KSpaceVolumeReader {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "npy": return try NpyVolumeReader(path)
        case "cfl", "hdr": return try CflVolumeReader(path)
        case "dat": return try TwixVolumeReader(path)
        case "h5", "hdf5":
            let file = try HDF5.openFile(path)
            if HDF5.exists(file, "kspace") { return try FastMRIVolumeReader(path) }
            if HDF5.exists(file, "/dataset/data") { return try IsmrmrdVolumeReader(path) }
            throw MRIError(.format, "\(path): neither fastMRI (dataset 'kspace') nor ISMRMRD (dataset '/dataset/data')")
        case let ext:
            throw MRIError(.format, "\(path): k-space format '.\(ext)' is not supported (expected \(extensions.map { "." + $0 }.joined(separator: ", ")))")
        }
    }

    /// Reads one slice of `path`: `slice`, or the only one (a volume without `slice` is refused).
    public static func readSlice(_ path: String, slice: Int? = nil) throws -> KSpace {
        let reader = try openReader(path)
        return try reader.readSlice(chosenSlice(slice, of: reader, source: path))
    }

    /// The slice to work on: `requested`, checked against the file, or the file's only
    /// slice; a volume without a requested slice is refused.
    public static func chosenSlice(_ requested: Int?, of reader: any KSpaceVolumeReader, source: String) throws -> Int {
        guard let index = requested else {
            guard reader.slices == 1 else {
                throw MRIError(.invalidArgument, "\(source): holds \(reader.slices) slices; choose one", setting: .slice)
            }
            return 0
        }
        guard (0..<reader.slices).contains(index) else {
            throw MRIError(.invalidArgument, "slice \(index): \(source) has \(reader.slices) slice\(reader.slices == 1 ? "" : "s") (0…\(reader.slices - 1))",
                           setting: .slice)
        }
        return index
    }

    /// The slices to work on: `requested` alone (checked against the file), or every slice.
    public static func chosenSlices(_ requested: Int?, of reader: any KSpaceVolumeReader, source: String) throws -> [Int] {
        try requested.map { [try chosenSlice($0, of: reader, source: source)] } ?? Array(0..<reader.slices)
    }

    /// Creates the writer for `path`, for `slices` slices of `shape`. A `.npy` keeps the
    /// element type and dimensionality of an `.npy` `like` (one slice of a 3-D input stays 3-D).
    public static func createWriter(_ path: String, slices: Int, sliceShape shape: (coils: Int, ny: Int, nx: Int),
                                    like reader: (any KSpaceVolumeReader)? = nil, sourceSlices: [Int]? = nil,
                                    combiner: ImageCombiner = .rootSumOfSquares) throws -> any KSpaceVolumeWriter {
        switch formatExtension(path) {
        case "nii", "nii.gz":
            // An image is placed by the geometry of the reader's slices it holds.
            var geometry = try reader?.geometry()
            if let all = geometry?.slices, let sourceSlices { geometry?.slices = sourceSlices.map { all[$0] } }
            return try NiftiImageWriter(path: path, slices: slices, sliceShape: shape, geometry: geometry, combiner: combiner)
        case "npy":
            let npy = reader as? NpyVolumeReader
            return try NpyVolumeWriter(path: path, slices: slices, sliceShape: shape,
                                       elementType: npy?.elementType ?? .complex64,
                                       volume: slices > 1 || (reader?.slices ?? 1) > 1 && npy != nil)
        case "cfl": return try CflVolumeWriter(path: path, slices: slices, sliceShape: shape)
        case "h5", "hdf5": return try FastMRIVolumeWriter(path: path, slices: slices, sliceShape: shape)
        case let ext:
            throw MRIError(.invalidArgument, "\(path): output format '.\(ext)' is not supported (expected \(outputExtensions.map { "." + $0 }.joined(separator: ", ")))")
        }
    }

    /// Writes one k-space to `path` in the format its extension names.
    public static func write(_ k: KSpace, to path: String) throws {
        let writer = try createWriter(path, slices: 1, sliceShape: (k.coils, k.ny, k.nx))
        try writer.write(k, slice: 0)
        try writer.commit()
    }

    /// Checks, before any work, that an output path has one of `extensions`, would not
    /// overwrite `input` (a BART pair counts by its base name), and that its directory exists.
    public static func validateOutput(_ path: String, input: String, extensions: [String]) throws {
        let url = URL(fileURLWithPath: path)
        guard extensions.contains(formatExtension(path)) else {
            throw MRIError(.invalidArgument,
                           "\(path): output format '.\(url.pathExtension)' is not supported (expected \(extensions.map { "." + $0 }.joined(separator: ", ")))")
        }
        let canonical = { (p: String) in URL(fileURLWithPath: p).standardizedFileURL.path }
        let bartPair = url.pathExtension.lowercased() == "cfl"
            && ["cfl", "hdr"].contains(URL(fileURLWithPath: input).pathExtension.lowercased())
        if canonical(path) == canonical(input) || (bartPair && canonical(CflFile.base(of: path)) == canonical(CflFile.base(of: input))) {
            throw MRIError(.invalidArgument, "\(path): output would overwrite the input")
        }
        var isDirectory: ObjCBool = false
        let directory = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MRIError(.io, "\(path): directory \(directory) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw MRIError(.io, "\(path): is a directory")
        }
    }
}

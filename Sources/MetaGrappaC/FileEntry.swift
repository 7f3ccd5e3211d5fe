import Foundation
import MRICore
import MRIIO
import Reconstruction

// Reading and writing k-space files of every supported format across the C boundary. A
// reader is an opaque handle (retained until mg_read_close).

final class ReaderHandle {
    let reader: any KSpaceVolumeReader
    init(_ reader: any KSpaceVolumeReader) { self.reader = reader }
}

/// Opens `path` (any readable format); `shape` receives [slices, coils, ny, nx] and `info`
/// JSON: format, properties (name–value pairs), whether slices record their sampling, the
/// shape of the noise-only data (null if none) and the noise variance of one imaging sample
/// of one coil they give (null where the file does not give their scale), and where the
/// slices lie (`geometry`, ``MRIIO/ScanGeometry`` with snake-case keys; null if not recorded).
/// `probe` (a NULL-terminated argument vector, or NULL) is a command that runs
/// ``mg_probe_hdf5`` on the path appended to it: HDF5 files are then read first in that
/// child process, as the command-line tool does, because a damaged file can crash libhdf5
/// (RELIABILITY.md). NULL reads them in this process.
@_cdecl("mg_read_open")
public func mg_read_open(_ path: UnsafePointer<CChar>?, _ probe: UnsafePointer<UnsafePointer<CChar>?>?,
                         _ handle: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                         _ shape: UnsafeMutablePointer<Int32>?, _ info: UnsafeMutablePointer<CChar>?, _ infoCapacity: Int64,
                         _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        guard let path, let handle, let shape else { throw MRIError(.invalidArgument, "null argument") }
        var command: [String] = []
        while let probe, let argument = probe[command.count] { command.append(String(cString: argument)) }
        let reader = command.isEmpty ? try KSpaceFiles.openReader(String(cString: path))
            : try IsolatedReader.openReader(String(cString: path), probe: command)
        let (c, ny, nx) = reader.sliceShape
        for (i, v) in [reader.slices, c, ny, nx].enumerated() { shape[i] = Int32(v) }
        let recorded = try reader.acquiredLines(slice: 0) != nil
        let properties = reader.properties.map { ["name": $0.name, "value": $0.value] }
        let noise = try reader.noiseScans()
        CBoundary.write(CBoundary.json(["format": reader.format.rawValue, "records_sampling": recorded, "properties": properties,
                                        "has_noise": noise != nil,
                                        "noise_shape": noise.map { [$0.coils, $0.ny, $0.nx] } ?? NSNull(),
                                        "noise_variance": noise.flatMap(reader.imagingNoiseVariance) ?? NSNull(),
                                        "geometry": try reader.geometry().map { try JSONSerialization.jsonObject(with: $0.json()) } ?? NSNull()]),
                        to: info, capacity: infoCapacity)
        handle.pointee = Unmanaged.passRetained(ReaderHandle(reader)).toOpaque()
    }
}

/// Reads slice `index` into `out`; if the file records its sampling, `mask` (ny bytes)
/// receives it and `recorded` is set to 1.
@_cdecl("mg_read_slice")
public func mg_read_slice(_ handle: UnsafeMutableRawPointer?, _ index: Int32, _ out: UnsafeMutablePointer<Float>?,
                          _ mask: UnsafeMutablePointer<UInt8>?, _ recorded: UnsafeMutablePointer<Int32>?,
                          _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        guard let handle else { throw MRIError(.invalidArgument, "reader handle is null") }
        let reader = Unmanaged<ReaderHandle>.fromOpaque(handle).takeUnretainedValue().reader
        try CBoundary.store(reader.readSlice(Int(index)), to: out)
        let lines = try reader.acquiredLines(slice: Int(index))
        recorded?.pointee = lines == nil ? 0 : 1
        if let lines, let mask { for (i, a) in lines.acquired.enumerated() { mask[i] = a ? 1 : 0 } }
    }
}

/// Copies the file's noise-only samples (`noise_shape` of the info: [coils, readouts,
/// samples]) into `out`; an error if the file has none.
@_cdecl("mg_read_noise")
public func mg_read_noise(_ handle: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<Float>?,
                          _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        guard let handle else { throw MRIError(.invalidArgument, "reader handle is null") }
        let reader = Unmanaged<ReaderHandle>.fromOpaque(handle).takeUnretainedValue().reader
        guard let noise = try reader.noiseScans() else { throw MRIError(.invalidArgument, "\(reader.source) carries no noise data") }
        try CBoundary.store(noise, to: out)
    }
}

/// The child's half of the HDF5 probe: reads an HDF5 k-space file whole, with the address
/// space capped (a crash inside libhdf5 happens in this process, not the caller's).
@_cdecl("mg_probe_hdf5")
public func mg_probe_hdf5(_ path: UnsafePointer<CChar>?, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        guard let path else { throw MRIError(.invalidArgument, "null argument") }
        try IsolatedReader.readWhole(String(cString: path))
    }
}

/// Releases a reader handle.
@_cdecl("mg_read_close")
public func mg_read_close(_ handle: UnsafeMutableRawPointer?) {
    if let handle { Unmanaged<ReaderHandle>.fromOpaque(handle).release() }
}

/// Writes `slices` slices `[coils, ny, nx]` (contiguous) to `path` in the format its extension
/// names; the file appears only when complete.
@_cdecl("mg_write")
public func mg_write(_ path: UnsafePointer<CChar>?, _ k: UnsafePointer<Float>?, _ slices: Int32, _ coils: Int32, _ ny: Int32,
                     _ nx: Int32, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        guard let path, let k else { throw MRIError(.invalidArgument, "null argument") }
        guard slices >= 1 else { throw MRIError(.invalidArgument, "slices must be at least 1, found \(slices)") }
        let perSlice = try CBoundary.count(coils: coils, ny: ny, nx: nx)
        let writer = try KSpaceFiles.createWriter(String(cString: path), slices: Int(slices), sliceShape: (Int(coils), Int(ny), Int(nx)))
        for s in 0..<Int(slices) {
            try writer.write(CBoundary.kspace(k + 2 * s * perSlice, coils: coils, ny: ny, nx: nx), slice: s)
        }
        try writer.commit()
    }
}

/// The library's version into `out`.
@_cdecl("mg_version")
public func mg_version(_ out: UnsafeMutablePointer<CChar>?, _ capacity: Int64) {
    CBoundary.write("1.0.0", to: out, capacity: capacity)
}

/// The reconstruction settings (``Reconstruction/SettingCatalog``) as a JSON array into `out`;
/// returns the bytes the whole text needs with its NUL, so that a caller can retry larger.
@_cdecl("mg_settings")
public func mg_settings(_ out: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int64 {
    let entries: [[String: Any]] = SettingCatalog.all.map { s in
        ["key": s.key, "flag": s.flag ?? NSNull(), "python": s.python ?? NSNull(), "methods": s.methods.map(\.rawValue),
         "accepts_auto": s.acceptsAuto, "default": s.defaultValue, "summary": s.summary,
         "setting": s.setting?.rawValue ?? NSNull()]
    }
    let text = CBoundary.json(entries)
    CBoundary.write(text, to: out, capacity: capacity)
    return Int64(text.utf8.count + 1)
}

import Foundation
import MRICore
import Numerics

/// The measurement data header (MDH) of one readout in a Siemens raw data file: where its
/// samples are, its flags and its loop counters.
struct TwixScan: Sendable {
    /// Byte offset of the scan's first header in the file.
    var offset: Int
    /// The evaluation-info mask (`EvalInfoMask`), bit `n` = flag `n` of ``TwixFlag``.
    var flags: UInt64
    /// Complex samples per channel.
    var samples: Int
    /// Channels that follow the scan header.
    var channels: Int
    /// Loop counters, in MDH order: line, average, slice, partition, echo, phase, repetition, set, segment.
    var line, average, slice, partition, echo, phase, repetition, set, segment: Int
    /// The k-space centre line and column the sequence recorded.
    var centreLine, centreColumn: Int
    /// The k-space centre partition the sequence recorded (3-D).
    var centrePartition = 0
    /// The slice centre (mm; Sag, Cor, Tra) and the slice rotation as a quaternion (w, x, y, z).
    var slicePosition: SIMD3<Float> = .zero, quaternion: SIMD4<Float> = .zero

    func has(_ flag: TwixFlag) -> Bool { flags & (1 << flag.rawValue) != 0 }
}

/// MDH flag bits used here (bit numbers of `EvalInfoMask`, as Siemens' IDEA defines them).
enum TwixFlag: UInt64 {
    case acquisitionEnd = 0, realtimeFeedback = 1, highPerformanceFeedback = 2, syncData = 5
    case referencePhaseStabilisation = 14, phaseStabilisation = 15, phaseCorrection = 21
    case patReference = 22, patReferenceAndImage = 23, reflect = 24, noiseAdjust = 25
    case navigatorData = 60
}

/// The two layouts of Siemens raw data files.
enum TwixLayout: Sendable {
    /// VA/VB: one measurement; each channel's samples follow a 128-byte MDH of their own.
    case vb
    /// VD/VE/XA: a multi-raid file header listing measurements; one 192-byte scan header
    /// per readout, then per channel a 32-byte channel header and its samples.
    case vd

    /// Bytes before the first channel block of a scan.
    var scanHeaderSize: Int { self == .vb ? 0 : 192 }
    /// Bytes of header before each channel's samples.
    var channelHeaderSize: Int { self == .vb ? 128 : 32 }
    /// Bytes of the header that holds counters and flags.
    var mdhSize: Int { self == .vb ? 128 : 192 }
}

/// A Siemens raw data file ("twix", `meas_*.dat`) opened for reading: its layout, the
/// measurements it holds, their protocol text, and the scan headers of each measurement.
/// Nothing but headers is read here; samples are read on demand with ``readSamples(of:)``.
final class TwixFile {
    let path: String
    let layout: TwixLayout
    /// Byte ranges of the measurements, in file order (VB: one).
    let measurements: [Range<Int>]
    private let descriptor: Int32
    private let size: Int

    /// Largest plausible channel count and readout length (a damaged header fails here).
    static let maxChannels = 1024, maxSamples = 1 << 16

    init(_ path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw MRIError(.io, "\(path): cannot open (\(String(cString: strerror(errno))))") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MRIError(.io, "\(path): not a regular file")
        }
        descriptor = fd
        size = Int(st.st_size)
        do {
            guard size >= 8 else { throw MRIError(.format, "\(path): \(size) bytes is too short for Siemens raw data") }
            let first = try Self.bytes(fd, offset: 0, count: 8, source: path)
            let (a, b) = (Int(first.u32(0)), Int(first.u32(4)))
            // VD and later start with the raid header's size field (small) and a measurement
            // count of at most 64; VB starts with the measurement header's length.
            if a < 10_000 && b >= 1 && b <= 64 {
                layout = .vd
                measurements = try Self.raidEntries(fd, count: b, fileSize: size, source: path)
            } else {
                layout = .vb
                measurements = [0..<size]
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// The multi-raid header's measurement entries: 8 bytes of header, then 152 bytes per
    /// entry (ids, offset, length, patient and protocol names).
    private static func raidEntries(_ fd: Int32, count: Int, fileSize: Int, source: String) throws -> [Range<Int>] {
        let table = try bytes(fd, offset: 8, count: 152 * count, source: source)
        var ranges: [Range<Int>] = []
        for i in 0..<count {
            let offset = Int(clamping: table.u64(152 * i + 8))
            var length = Int(clamping: table.u64(152 * i + 16))
            // Single-measurement files from recent software leave the length at zero.
            if length == 0 && i == count - 1 { length = fileSize - offset }
            guard offset >= 8 + 152 * count, offset <= fileSize, length >= 8, length <= fileSize - offset else {
                throw MRIError(.format, "\(source): measurement \(i + 1) of \(count) lies at bytes \(offset)…+\(length), outside the file's \(fileSize) bytes (truncated or not Siemens raw data)")
            }
            ranges.append(offset..<offset + length)
        }
        return ranges
    }

    /// The protocol buffers of measurement `m` (name → text, e.g. "MeasYaps", "Dicom") and
    /// the offset where its scans start.
    func protocolBuffers(of m: Int) throws -> (buffers: [String: String], dataStart: Int) {
        let range = measurements[m]
        let head = try Self.bytes(descriptor, offset: range.lowerBound, count: 8, source: path)
        let headerLength = Int(head.u32(0)), count = Int(head.u32(4))
        guard headerLength >= 8, headerLength <= range.count, headerLength <= 1 << 28, count <= 64 else {
            throw MRIError(.format, "\(path): measurement header of \(headerLength) bytes with \(count) protocol buffers does not fit the measurement's \(range.count) bytes (file truncated, damaged, or not Siemens raw data)")
        }
        let header = try Self.bytes(descriptor, offset: range.lowerBound, count: headerLength, source: path)
        var buffers: [String: String] = [:]
        var position = 8
        for _ in 0..<count {
            guard let end = header[position...].prefix(64).firstIndex(of: 0), end > position, end + 5 <= header.count else {
                throw MRIError(.format, "\(path): protocol buffer name at byte \(range.lowerBound + position) is not a short NUL-terminated name")
            }
            let name = String(decoding: header[position..<end], as: UTF8.self)
            let length = Int(header.u32(end + 1))
            let start = end + 5
            guard length <= header.count - start else {
                throw MRIError(.format, "\(path): protocol buffer '\(name)' claims \(length) bytes, the measurement header has \(header.count - start) left")
            }
            buffers[name] = String(decoding: header[start..<start + length].prefix { $0 != 0 }, as: Unicode.ASCII.self)
            position = start + length
        }
        return (buffers, range.lowerBound + headerLength)
    }

    /// The scans of measurement `m` from `start` up to its acquisition-end scan; sync data
    /// (physiological and trajectory blocks) is stepped over.
    func scans(of m: Int, from start: Int) throws -> [TwixScan] {
        let end = measurements[m].upperBound
        var scans: [TwixScan] = []
        var offset = start
        while true {
            guard offset + layout.mdhSize <= end else {
                throw MRIError(.format, "\(path): measurement \(m + 1) ends at byte \(end) without its acquisition-end scan (file truncated?)")
            }
            let h = try Self.bytes(descriptor, offset: offset, count: layout.mdhSize, source: path)
            let scan = decode(h, at: offset)
            let dmaLength = Int(h.u32(0) & 0x1FF_FFFF)
            if scan.has(.acquisitionEnd) { return scans }
            if scan.has(.syncData) {
                guard dmaLength >= layout.mdhSize else {
                    throw MRIError(.format, "\(path): sync-data block at byte \(offset) has a length of \(dmaLength) bytes")
                }
                offset += dmaLength
                continue
            }
            guard (1...Self.maxChannels).contains(scan.channels), (1...Self.maxSamples).contains(scan.samples) else {
                throw MRIError(.format, "\(path): scan \(scans.count + 1) at byte \(offset) has \(scan.channels) channels × \(scan.samples) samples (expected 1…\(Self.maxChannels) × 1…\(Self.maxSamples); damaged header?)")
            }
            offset += blockLength(of: scan)
            guard offset <= end else {
                throw MRIError(.format, "\(path): scan \(scans.count + 1) (\(scan.channels) channels × \(scan.samples) samples) runs past the end of its measurement at byte \(end) (file truncated?)")
            }
            scans.append(scan)
        }
    }

    /// Bytes a scan occupies: headers and samples of every channel.
    func blockLength(of scan: TwixScan) -> Int {
        layout.scanHeaderSize + scan.channels * (layout.channelHeaderSize + 8 * scan.samples)
    }

    /// The samples of `scan`, `[channels][samples]` flattened channel-major.
    func readSamples(of scan: TwixScan) throws -> [Complex<Float>] {
        let block = try Self.bytes(descriptor, offset: scan.offset, count: blockLength(of: scan), source: path)
        let stride = layout.channelHeaderSize + 8 * scan.samples
        var out = [Complex<Float>](repeating: .zero, count: scan.channels * scan.samples)
        block.withUnsafeBytes { raw in
            for c in 0..<scan.channels {
                let base = layout.scanHeaderSize + c * stride + layout.channelHeaderSize
                for s in 0..<scan.samples {
                    let re = raw.loadUnaligned(fromByteOffset: base + 8 * s, as: UInt32.self)
                    let im = raw.loadUnaligned(fromByteOffset: base + 8 * s + 4, as: UInt32.self)
                    out[c * scan.samples + s] = Complex(Float(bitPattern: UInt32(littleEndian: re)),
                                                        Float(bitPattern: UInt32(littleEndian: im)))
                }
            }
        }
        return out
    }

    private func decode(_ h: [UInt8], at offset: Int) -> TwixScan {
        // VD inserts system type and table position (20 bytes) before the flags.
        let f = layout == .vb ? 20 : 40
        let counter = { (i: Int) in Int(h.u16(f + 12 + 2 * i)) }
        let centre = layout == .vb ? 76 : 96
        // sSliceData: position (3 floats), quaternion (4); VB has 16 bytes of ICE and free
        // parameters between the centre partition and it, VD none.
        let sliceData = layout == .vb ? 96 : 100
        let float = { (i: Int) in Float(bitPattern: h.u32(sliceData + 4 * i)) }
        return TwixScan(offset: offset, flags: h.u64(f), samples: Int(h.u16(f + 8)), channels: Int(h.u16(f + 10)),
                        line: counter(0), average: counter(1), slice: counter(2), partition: counter(3), echo: counter(4),
                        phase: counter(5), repetition: counter(6), set: counter(7), segment: counter(8),
                        centreLine: Int(h.u16(centre)), centreColumn: Int(h.u16(f + 44)), centrePartition: Int(h.u16(centre + 2)),
                        slicePosition: SIMD3(float(0), float(1), float(2)), quaternion: SIMD4(float(3), float(4), float(5), float(6)))
    }

    private static func bytes(_ fd: Int32, offset: Int, count: Int, source: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try BinaryFile.readFully(fd: fd, into: $0, offset: offset, source: source) }
        return out
    }
}

private extension [UInt8] {
    func u16(_ i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[i + $1]) << (8 * $1) } }
    func u64(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[i + $1]) << (8 * $1) } }
}

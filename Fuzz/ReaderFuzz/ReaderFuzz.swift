// libFuzzer entry point for MetaGRAPPA's readers. Build and run (see RELIABILITY.md):
//   swift build -c release --product reader-fuzz --scratch-path .build-fuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING
//   FUZZ_FORMAT=npy .build-fuzz/release/reader-fuzz -max_total_time=300 Fuzz/corpus/npy
// FUZZ_FORMAT: npy, cfl (input = .hdr text, NUL, .cfl bytes), h5 (fastMRI or ISMRMRD),
// dat (Siemens raw data), model (.mgmeta), kernel (GRAPPA kernel file), mask (.npy mask).
// Every input must end in a value or an MRIError; anything else (a trap, a sanitizer
// report, a crash inside a C library) is a finding.
import Foundation
import GRAPPA
import MetaLearner
import MRICore
import MRIIO

private let format = ProcessInfo.processInfo.environment["FUZZ_FORMAT"] ?? "npy"
private let directory: String = {
    let d = "/dev/shm/metagrappa-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}()

private func file(_ name: String, _ bytes: some Collection<UInt8>) -> String {
    let path = directory + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

private func readAll(_ path: String) throws {
    let reader = try KSpaceFiles.openReader(path)
    // At most a few slices: a valid file with many slices is not a finding.
    for s in 0..<min(reader.slices, 3) { _ = try reader.readSlice(s) }
    _ = try reader.acquiredLines(slice: 0)
    _ = try reader.noiseScans()
    // Where the slices lie and which calibrates which: the scan headers' slice data, the protocol's fields of view.
    _ = try reader.geometry()
    _ = try reader.calibrationSlice(for: 0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        switch format {
        case "npy": try readAll(file("k.npy", bytes))
        case "mask": _ = try NpyFile.readMask(file("m.npy", bytes))
        case "cfl":
            let split = bytes.firstIndex(of: 0) ?? bytes.count
            _ = file("k.hdr", bytes[..<split])
            try readAll(file("k.cfl", bytes[min(split + 1, bytes.count)...]))
        case "h5": try readAll(file("k.h5", bytes))
        case "dat": try readAll(file("k.dat", bytes))
        case "model": _ = try MetaModel(serialized: bytes, source: "fuzz")
        case "kernel": _ = try GrappaKernel(serialized: bytes, source: "fuzz")
        default: fatalError("unknown FUZZ_FORMAT \(format)")
        }
    } catch is MRIError {
    } catch {
        fatalError("non-MRIError escaped: \(error)")
    }
    return 0
}

#if FUZZING
// SwiftPM links an executable target's entry point as `<module>_main`; hand control to
// libFuzzer's driver from there. (Without -DFUZZING, an ordinary build of the package
// makes this an empty program.)
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("reader_fuzz_main")
public func readerFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
#endif

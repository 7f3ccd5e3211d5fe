import Compute
import Foundation
import MRICore
import MRIIO
import Numerics
import Simulation

/// A fresh temporary directory, removed by `cleanup()`.
public struct TemporaryDirectory {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "metagrappa-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Result of running a child process.
public struct ProcessResult {
    /// The exit code, or the signal number if `crashed`.
    public let status: Int32
    /// Whether the process ended by a signal (a crash, or killed) instead of exiting.
    public let crashed: Bool
    public let stdout: String
    public let stderr: String
}

/// Runs `executable` with `arguments` (and `environment` added to this process's) and
/// collects its output.
public func runProcess(_ executable: String, _ arguments: [String], stdin: String? = nil,
                       environment: [String: String] = [:]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes to the end before waiting, so a chatty child cannot block.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs a Python 3 script (numpy available) and returns its result.
public func runPython(_ script: String) throws -> ProcessResult {
    try runProcess("/usr/bin/env", ["python3", "-c", script])
}

/// The package's root directory.
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A file of the repository's `Data/` folder (its README names each file's source and
/// licence). `NAME.gz` files are decompressed once into `.build/test-data/` and that path is
/// returned, so that the readers see the file as a scanner wrote it.
public func testData(_ name: String) throws -> String {
    let stored = packageRoot + "/Data/" + name
    if FileManager.default.fileExists(atPath: stored) { return stored }
    let cache = packageRoot + "/.build/test-data/" + name
    if FileManager.default.fileExists(atPath: cache) { return cache }
    let compressed = stored + ".gz"
    guard let bytes = FileManager.default.contents(atPath: compressed) else {
        throw MRIError(.io, "test data missing: neither \(stored) nor \(compressed)")
    }
    try FileManager.default.createDirectory(atPath: (cache as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    // Atomic (a unique temporary renamed into place): tests running at once never read half a file.
    try AtomicFile.write(try bytes.withUnsafeBytes { try Gzip.decompress($0, source: compressed) }, to: cache)
    return cache
}

/// The real in-vivo brain of the test data: 16 coils × 128 × 128, XA61 2-D GRE (Data/twix).
public func realBrain() throws -> KSpace {
    try KSpaceFiles.readSlice(try testData("twix/xa61_brain_16ch_gre_128.dat"))
}

/// The simulated 32-coil 288² brain slice the tests use where the paper's setting matters:
/// Colin27 z = 95 through the paper's 32-loop array, noise σ 0.004 relative to the largest
/// coil image (make_sim.py's setting), noisy and noise-free, computed once per process.
public func simulatedBrain() throws -> (noisy: KSpace, clean: KSpace) {
    try simulatedBrainCache.get()
}

private let simulatedBrainCache = Result<(noisy: KSpace, clean: KSpace), any Error> {
    let scan = try BrainTaskSimulator(volume: try BrainVolume.colin27())
        .scan(slice: 95, seed: 20_190_501, noiseLevel: 0.004, augment: false)
    return (scan.noisy, scan.clean)
}

/// A small deterministic random k-space (complex Gaussian samples).
public func randomKSpace(coils: Int, ny: Int, nx: Int, seed: UInt64) -> KSpace {
    var rng = SeededGenerator(seed: seed)
    let data = (0..<(coils * ny * nx)).map { _ in Complex(Float(rng.normal()), Float(rng.normal())) }
    return try! KSpace(coils: coils, ny: ny, nx: nx, data: data)
}

/// Largest |a − b| over two equal-length complex arrays.
public func maxAbsDifference(_ a: [Complex<Float>], _ b: [Complex<Float>]) -> Float {
    zip(a, b).reduce(0) { max($0, ($1.0 - $1.1).length) }
}

/// A test precondition that is not met (a missing tool, a failed helper process).
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Writes an ISMRMRD Shepp–Logan phantom (`matrix`², `coils` coils, noise of standard deviation
/// `noise`, with a noise-calibration acquisition) made by ISMRMRD's own generator; `acceleration` > 1
/// acquires each of R repetitions on a shifted lattice with `calibration` calibration lines.
public func generateIsmrmrdPhantom(_ path: String, acceleration: Int = 1, matrix: Int = 64, coils: Int = 4,
                                   calibration: Int = 16, noise: Double = 0) throws {
    let generator = "/usr/bin/ismrmrd_generate_cartesian_shepp_logan"
    guard FileManager.default.isExecutableFile(atPath: generator) else {
        throw TestSetupError("\(generator) is missing: run scripts/install-deps (Debian package ismrmrd-tools)")
    }
    var args = ["-m", "\(matrix)", "-c", "\(coils)", "-n", "\(noise)", "-C", "-o", path]
    if acceleration > 1 { args += ["-a", "\(acceleration)", "-w", "\(calibration)"] }
    let r = try runProcess(generator, args)
    guard r.status == 0 else { throw TestSetupError("ISMRMRD generator failed: \(r.stderr)") }
}

/// Writes a BART `.cfl`/`.hdr` pair (`base` without extension), column-major `dims`.
public func writeCfl(_ base: String, dims: [Int], data: [Complex<Float>]) throws {
    let header = "# Dimensions\n" + (dims + [Int](repeating: 1, count: 16 - dims.count)).map(String.init).joined(separator: " ") + "\n"
    try header.write(toFile: base + ".hdr", atomically: true, encoding: .utf8)
    try data.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: base + ".cfl"))
}

/// The first `count` samples of a BART `.cfl` (`base` without extension).
public func readCfl(_ base: String, count: Int) throws -> [Complex<Float>] {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: base + ".cfl"))
    guard bytes.count >= count * 8 else { throw MRIError(.format, "\(base).cfl holds \(bytes.count / 8) samples, expected \(count)") }
    return bytes.withUnsafeBytes { raw in Array(raw.bindMemory(to: Complex<Float>.self).prefix(count)) }
}

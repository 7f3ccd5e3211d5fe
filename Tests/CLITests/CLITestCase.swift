import Foundation
import MRICore
import MRIIO
import Simulation
import Testing
import TestSupport

/// The `metagrappa` binary built next to the test bundle.
let metagrappaPath: String = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // The test runner may live inside an .xctest bundle directory.
    for candidate in [dir, dir.deletingLastPathComponent(), dir.deletingLastPathComponent().deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("metagrappa").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return packageRoot + "/.build/debug/metagrappa"
}()

func metagrappa(_ arguments: String...) throws -> ProcessResult {
    try runProcess(metagrappaPath, arguments)
}

func metagrappa(_ arguments: [String]) throws -> ProcessResult {
    try runProcess(metagrappaPath, arguments)
}

/// A directory with a small simulated scan, `full.npy` (8 coils, 64 × 48).
func scanDirectory() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    let sim = try PhantomSimulator(ny: 64, nx: 48, coils: 8, seed: 5).simulate()
    try NpyFile.write(sim.noisy, to: dir.file("full.npy"))
    return dir
}

/// Writes `slices` (all of one shape) as one volume at `path`, in the format its extension names.
func writeVolume(_ slices: [KSpace], to path: String) throws {
    let w = try KSpaceFiles.createWriter(path, slices: slices.count, sliceShape: (slices[0].coils, slices[0].ny, slices[0].nx))
    for (i, k) in slices.enumerated() { try w.write(k, slice: i) }
    try w.commit()
}

/// Files in `dir`, hidden temporaries included.
func listing(_ dir: TemporaryDirectory) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
}

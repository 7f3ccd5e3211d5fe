import Foundation
import MRICore
import MRIIO
import Simulation
import Testing
import TestSupport

/// `recon` killed with SIGKILL at arbitrary moments while it writes a volume over an older
/// file of the same name: afterwards the path holds either the old file, byte for byte,
/// or the complete new reconstruction — never a torn file. (Hidden temporaries of a killed
/// run may stay behind; they are never the output.)
@Suite struct AtomicOutputKillTests {
    @Test(arguments: ["out.npy", "out.h5", "out.cfl"])
    func killedWriteLeavesOldOrNewFile(name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let slices = try (0..<6).map { try PhantomSimulator(ny: 96, nx: 96, coils: 8, seed: UInt64(50 + $0)).simulate().noisy }
        try writeVolume(slices, to: dir.file("v.npy"))
        let arguments = ["recon", dir.file("v.npy"), "-o", dir.file(name), "--accel", "2", "--acs", "16"]
        // The new result, and an old file of the same name (a different reconstruction).
        let fresh = try runProcess(metagrappaPath, arguments)
        try #require(fresh.status == 0, "\(fresh.stderr)")
        let reference = try KSpaceFiles.openReader(dir.file(name))
        let expected = try (0..<6).map { try reference.readSlice($0) }
        let old = try runProcess(metagrappaPath, ["recon", dir.file("v.npy"), "-o", dir.file(name), "--accel", "3", "--acs", "16"])
        try #require(old.status == 0, "\(old.stderr)")
        let dataPath = dir.file(name)
        let oldBytes = try Data(contentsOf: URL(fileURLWithPath: dataPath))
        let t0 = Date()
        _ = try runProcess(metagrappaPath, ["recon", dir.file("v.npy"), "-o", dir.file("timing-" + name), "--accel", "2", "--acs", "16"])
        let duration = Date().timeIntervalSince(t0)
        var (keptOld, gotNew, kills) = (0, 0, 0)
        for trial in 0..<8 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: metagrappaPath)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill once the output's temporary file exists (writing has begun: an observable
            // event, not a guess of the machine's speed), after a delay that differs per trial.
            let start = Date()
            while process.isRunning && !listing(dir).contains(where: { $0.hasPrefix(".\(name).tmp") })
                    && Date().timeIntervalSince(start) < 60 {
                Thread.sleep(forTimeInterval: 0.002)
            }
            Thread.sleep(forTimeInterval: duration * 0.6 * Double(trial) / 7)
            if process.isRunning { kill(process.processIdentifier, SIGKILL); kills += 1 }
            process.waitUntilExit()
            let now = try Data(contentsOf: URL(fileURLWithPath: dataPath))
            if now == oldBytes {
                keptOld += 1
            } else {
                let reader = try KSpaceFiles.openReader(dataPath)
                #expect(reader.slices == 6, "trial \(trial): \(reader.slices) slices")
                for s in 0..<6 { #expect(try reader.readSlice(s) == expected[s], "trial \(trial) slice \(s)") }
                gotNew += 1
                // Put the old file back for the next trial.
                try oldBytes.write(to: URL(fileURLWithPath: dataPath))
                if name.hasSuffix(".cfl") {
                    // The .hdr names the same shape for both results; it is never torn either.
                    #expect(FileManager.default.fileExists(atPath: dir.file("out.hdr")))
                }
            }
        }
        #expect(kills >= 3, "the run must be killed mid-way several times (\(kills) kills)")
        #expect(keptOld + gotNew == 8)
    }

    /// Ctrl-C (SIGINT) or SIGTERM while a volume is being reconstructed: exit 130 with one
    /// line, the old output untouched, and no hidden temporary file left (an unfinished
    /// volume's can be gigabytes).
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedRunRemovesItsTemporaryFile(signalNumber: Int32) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let k = try PhantomSimulator(ny: 64, nx: 64, coils: 8, seed: 9).simulate().noisy
        try writeVolume([KSpace](repeating: k, count: 12), to: dir.file("v.npy"))
        let old = Data("an older output".utf8)
        try old.write(to: URL(fileURLWithPath: dir.file("out.npy")))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: metagrappaPath)
        process.arguments = ["recon", dir.file("v.npy"), "-o", dir.file("out.npy"), "--accel", "2", "--acs", "16",
                             "--method", "raki", "--iterations", "400"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // Wait until the output's temporary file exists, then interrupt.
        let start = Date()
        while process.isRunning && !listing(dir).contains(where: { $0.hasPrefix(".out.npy.tmp") })
                && Date().timeIntervalSince(start) < 60 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(process.isRunning, "the run ended before it could be interrupted")
        kill(process.processIdentifier, signalNumber)
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "status \(process.terminationStatus)")
        #expect(message.contains("interrupted") && message.split(separator: "\n").count == 1, "\(message)")
        #expect(listing(dir) == ["v.npy", "out.npy"], "left: \(listing(dir))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("out.npy"))) == old, "the old output changed")
    }
}


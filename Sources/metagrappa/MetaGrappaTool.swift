import ArgumentParser
import Foundation
import MRICore
import MRIIO

@main
struct MetaGrappaTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metagrappa",
        abstract: "Scan-specific parallel-MRI reconstruction of uniformly undersampled multi-coil k-space.",
        subcommands: [ReconCommand.self, CalibrateCommand.self, EvaluateCommand.self, MetaTrainCommand.self, InfoCommand.self, SimulateCommand.self, ProbeHDF5Command.self])

    /// Parses and runs a subcommand. A failure is one line on stderr (pipelines read it),
    /// not ArgumentParser's message followed by the usage; `--help` still prints in full.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
            } else if !(error is ExitCode) {
                let text = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
                FileHandle.standardError.write(Data("metagrappa: error: \(text)\n".utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// A subcommand whose failures are reported as one line on stderr with an exit code
/// by kind (64 bad argument, 65 bad data, 66 unreadable/unwritable file, 70 numerical).
protocol ReportingCommand: ParsableCommand {
    func execute() throws
    /// Whether Ctrl-C or SIGTERM removes the command's unfinished output files and exits
    /// 130 at once (meta-train instead saves a checkpoint at its next step).
    static var stopsAtOnceOnInterrupt: Bool { get }
}

extension ReportingCommand {
    static var stopsAtOnceOnInterrupt: Bool { true }

    mutating func run() throws {
        if Self.stopsAtOnceOnInterrupt { InterruptCleanup.install() }
        BLASThreading.ensureSingleThreaded()
        MemoryPolicy.reuseFreedMemory()
        do {
            try execute()
        } catch let error as MRIError {
            FileHandle.standardError.write(Data("metagrappa: error: \(error.message)\n".utf8))
            throw ExitCode(error.kind.exitCode)
        }
    }
}

extension MRIError.Kind {
    var exitCode: Int32 {
        switch self {
        case .invalidArgument: 64
        case .format: 65
        case .io: 66
        case .numerical: 70
        }
    }
}

/// Ctrl-C or SIGTERM during `recon`, `evaluate`, `calibrate`…: the hidden temporary files
/// of unfinished outputs (a volume's can be gigabytes) are removed, one line says so, and
/// the process exits 130; an output already renamed into place stays, complete. The signal
/// is taken on a dispatch queue, not in a signal handler, so the cleanup may lock and
/// allocate.
enum InterruptCleanup {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                AtomicFile.removeTemporariesBeforeExit()
                FileHandle.standardError.write(Data("metagrappa: interrupted (signal \(number)); unfinished output files removed\n".utf8))
                _exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Wall-clock stopwatch.
struct Stopwatch {
    private let start = DispatchTime.now().uptimeNanoseconds
    var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

import ArgumentParser
import Foundation
import MRICore

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
}

extension ReportingCommand {
    mutating func run() throws {
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

/// Wall-clock stopwatch.
struct Stopwatch {
    private let start = DispatchTime.now().uptimeNanoseconds
    var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

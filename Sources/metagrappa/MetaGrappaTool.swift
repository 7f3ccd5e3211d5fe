import ArgumentParser
import Compute
import Foundation
import MRICore
import MRIIO
import Reconstruction

@main
struct MetaGrappaTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metagrappa",
        abstract: "Scan-specific parallel-MRI reconstruction of uniformly undersampled multi-coil k-space.",
        subcommands: [ReconCommand.self, CalibrateCommand.self, EvaluateCommand.self, MetaTrainCommand.self, InfoCommand.self, ConvertCommand.self,
                      SimulateCommand.self, ProbeHDF5Command.self])

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
                printError("metagrappa: error: \(text)")
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// A subcommand whose failures are reported as one line on stderr with the exit code of
/// their kind (``MRICore/MRIError/Kind/exitCode``), naming the flag behind a library setting.
protocol ReportingCommand: ParsableCommand {
    func execute() throws
    /// Whether Ctrl-C or SIGTERM removes the command's unfinished output files and exits
    /// 130 at once (meta-train instead saves a checkpoint at its next step).
    static var stopsAtOnceOnInterrupt: Bool { get }
}

extension ReportingCommand {
    static var stopsAtOnceOnInterrupt: Bool { true }

    mutating func run() throws {
        if Self.stopsAtOnceOnInterrupt { InterruptCleanup.install(program: "metagrappa") }
        BLASThreading.ensureSingleThreaded()
        MemoryPolicy.reuseFreedMemory()
        do {
            try execute()
        } catch let error as MRIError {
            printError("metagrappa: error: \(SettingCatalog.commandLineMessage(error))")
            throw ExitCode(error.kind.exitCode)
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

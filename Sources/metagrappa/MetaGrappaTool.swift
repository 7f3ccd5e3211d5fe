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
        if Self.stopsAtOnceOnInterrupt { InterruptCleanup.install() }
        BLASThreading.ensureSingleThreaded()
        MemoryPolicy.reuseFreedMemory()
        do {
            try execute()
        } catch let error as MRIError {
            printError("metagrappa: error: \(error.commandLineMessage)")
            throw ExitCode(error.kind.exitCode)
        }
    }
}

extension MRIError {
    /// The message in the command line's terms: the flag of the setting at fault first, and
    /// what to do about it where the library leaves that to the front end.
    var commandLineMessage: String {
        guard let setting else { return message }
        let flag = Self.flags[setting] ?? SettingCatalog.all.first { $0.setting == setting }?.flag
        return (flag.map { "\($0): " } ?? "") + message + (Self.hints[setting].map { "; \($0)" } ?? "")
    }

    /// The flags of the settings that are not reconstruction settings (those take their flag
    /// from ``Reconstruction/SettingCatalog``), and of a scan refused by its model's array.
    private static let flags: [Setting: String] = [
        .acceleration: "--accel", .acsLines: "--acs", .mask: "--mask", .slice: "--slice", .kernel: "--kernel",
        .gFactor: "--gfactor", .prewhitening: "--prewhiten", .coilArray: "--model",
    ]

    /// What to do about it, where the library leaves that to the front end.
    private static let hints: [Setting: String] = [
        .mask: "give --accel R (with --acs N) or --mask FILE",
        .whiteningRidge: "0 turns whitening off",
        .metaModel: "train one with `metagrappa meta-train` (--accel R; --data FILE… for your own array) and pass it with --model",
        .coilArray: "train one for this scanner with `metagrappa meta-train --data FILE… -o MODEL` and pass it with --model, or pass --allow-other-array to use this one anyway",
        .kernel: "use it with --method grappa",
        .gFactor: "use it with --method grappa and without --virtual-coils",
        .prewhitening: "leave out --prewhiten (or give --no-prewhiten)",
    ]
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
                printError("metagrappa: interrupted (signal \(number)); unfinished output files removed")
                _exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

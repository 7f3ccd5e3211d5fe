import ArgumentParser
import Foundation
import MRICore

@main
struct MetaGrappa: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metagrappa",
        abstract: "Scan-specific parallel-MRI reconstruction of uniformly undersampled multi-coil k-space.",
        subcommands: [ReconCommand.self, EvaluateCommand.self, InfoCommand.self, SimulateCommand.self])
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

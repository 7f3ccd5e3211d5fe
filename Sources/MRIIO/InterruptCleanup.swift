import Foundation

/// Ctrl-C or SIGTERM while a command writes files: the hidden temporary files of unfinished
/// outputs (a volume's can be gigabytes) are removed, one line on stderr says so, and the
/// process exits 130; an output already renamed into place stays, complete. The signal is
/// taken on a dispatch queue, not in a signal handler, so the cleanup may lock and allocate.
public enum InterruptCleanup {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers once; `program` starts the line printed on a signal.
    public static func install(program: String) {
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                AtomicFile.removeTemporariesBeforeExit()
                FileHandle.standardError.write(Data("\(program): interrupted (signal \(number)); unfinished output files removed\n".utf8))
                _exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Ctrl-C or SIGTERM asks a long run that checkpoints (meta-training) to stop at its next
/// step instead of ending the process: ``requested`` turns true.
public enum StopRequest {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0
    public static var requested: Bool { flag != 0 }

    public static func install() {
        signal(SIGINT) { _ in StopRequest.flag = 1 }
        signal(SIGTERM) { _ in StopRequest.flag = 1 }
        // A parent may start us with these signals blocked (a child inherits the mask of the
        // thread that spawned it, and dispatch worker threads block nearly every signal):
        // then Ctrl-C would be held back until the run ended. Unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

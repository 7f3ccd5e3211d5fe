import CBLAS
import Dispatch
import Foundation

/// Wraps a value (typically a raw pointer into a buffer whose disjoint parts
/// separate threads write) so that a `concurrentPerform` closure may capture it.
/// The caller guarantees that the threads never touch the same elements.
public struct UnsafeSendable<T>: @unchecked Sendable {
    /// The wrapped value.
    public let value: T
    /// Wraps `value`.
    public init(_ value: T) { self.value = value }
}

/// Data parallelism over the machine's cores.
///
/// Work is split statically (item `i` goes to worker `i mod workers`), so a given
/// input always produces the same arithmetic in the same order per item: results do
/// not depend on scheduling.
public enum Parallel {
    /// Number of workers used by ``forEach(_:_:)``; defaults to the active core count.
    /// Set `METAGRAPPA_THREADS` to override.
    nonisolated(unsafe) public static var workers: Int = {
        if let s = ProcessInfo.processInfo.environment["METAGRAPPA_THREADS"], let n = Int(s), n >= 1 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(i)` for `i` in `0..<count`, spread over ``workers`` threads.
    /// BLAS is held to one thread meanwhile so that the two levels of threading
    /// do not oversubscribe the cores.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let w = min(workers, count)
        if w <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        BLASThreads.with(1) {
            withoutActuallyEscaping(body) { body in
                let box = UnsafeSendable(body)
                DispatchQueue.concurrentPerform(iterations: w) { t in
                    var i = t
                    while i < count {
                        box.value(i)
                        i += w
                    }
                }
            }
        }
    }
}

/// Control of OpenBLAS's own thread pool.
public enum BLASThreads {
    /// Runs `body` with OpenBLAS limited to `n` threads, then restores the previous count.
    public static func with<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(Int32(n))
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    /// Runs `body` with OpenBLAS using ``Parallel/workers`` threads.
    public static func all<R>(_ body: () throws -> R) rethrows -> R {
        try with(Parallel.workers, body)
    }
}

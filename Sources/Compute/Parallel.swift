import CBLAS
import CMalloc
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
/// not depend on scheduling or on the number of workers.
///
/// OpenBLAS is kept single-threaded for the whole process: its own thread pool spins
/// (`sched_yield`) between calls and steals the cores from these workers, which cost a
/// quarter of all CPU time when the two were mixed. Large BLAS calls are split here instead.
public enum Parallel {
    /// Number of workers used by ``forEach(_:_:)``; defaults to the active core count.
    /// Set `METAGRAPPA_THREADS` to override.
    nonisolated(unsafe) public static var workers: Int = {
        BLASThreading.ensureSingleThreaded()
        if let s = ProcessInfo.processInfo.environment["METAGRAPPA_THREADS"], let n = Int(s), n >= 1 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(i)` for `i` in `0..<count`, spread over ``workers`` threads.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let w = min(workers, count)
        if w <= 1 {
            for i in 0..<count { body(i) }
            return
        }
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

    /// Number of chunks ``forEachChunk(_:_:)`` cuts a range into, whatever the number of
    /// workers: the same BLAS calls then run with 1 or 2 workers, and results are
    /// bit-identical (with as many chunks as workers, the sub-matrix shapes changed with
    /// the worker count and OpenBLAS's edge kernels rounded differently).
    public static let chunkCount = 4

    /// Splits `0..<count` into ``chunkCount`` contiguous chunks (fewer if `count` is
    /// smaller) and runs `body` on each, in parallel over the workers.
    public static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(chunkCount, count))
        forEach(chunks) { i in body((i * count / chunks)..<((i + 1) * count / chunks)) }
    }
}

/// Keeps OpenBLAS on one thread (see ``Parallel``). Called by every BLAS wrapper.
public enum BLASThreading {
    private static let once: Void = {
        openblas_set_num_threads(1)
        // Single-threaded calls never dispatch to the pool, so it is not restarted.
        _ = blas_thread_shutdown_()
    }()

    /// Sets OpenBLAS to one thread, the first time it is called.
    public static func ensureSingleThreaded() { once }

    /// Runs one LAPACK call with no other LAPACK call running in this process. OpenBLAS
    /// 0.3.21 (Debian 12's) segfaults now and then when two threads run LAPACK at once (in
    /// `cgemv` inside `chetrd`, about once in 120 runs of two concurrent eigenproblems, and
    /// in concurrent test runs); the library's own work runs LAPACK one call at a time anyway,
    /// so only concurrent callers (threads of the Python package, parallel tests) wait.
    public static func lapack<T>(_ call: () -> T) -> T {
        ensureSingleThreaded()
        return lapackLock.withLock(call)
    }

    private static let lapackLock = NSLock()

    /// The OpenBLAS kernel set this process runs (e.g. "Zen", "Haswell", "SkylakeX"): chosen
    /// for the CPU, or forced with `OPENBLAS_CORETYPE`. RAKI's results depend on it in their
    /// last digits (RELIABILITY.md), so reports and benchmarks print it.
    public static var coreName: String {
        let name = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return name + " (OPENBLAS_CORETYPE \(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"))"
    }
}

/// Process-wide memory settings for one-shot reconstructions.
public enum MemoryPolicy {
    /// Serves buffers up to 32 MiB (glibc's ceiling) from the heap instead of fresh
    /// `mmap`s, and keeps freed memory, so that a later stage reuses the pages an earlier
    /// one freed instead of faulting in new ones. Measured on a 32-coil 288² slice:
    /// 22k → 16k page faults, whole `recon` ~220 → ~180 ms. Then the first 256 MiB of
    /// heap are marked for transparent huge pages (zeroing fresh pages and taking their
    /// faults was ~15 % of a Meta-GRAPPA reconstruction; see BENCHMARKS.md).
    public static func reuseFreedMemory() {
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
        _ = mg_heap_hugepages(256 << 20)
    }
}

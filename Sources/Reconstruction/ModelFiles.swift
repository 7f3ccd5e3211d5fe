import GRAPPA
import MetaLearner
import MRIIO

extension GrappaKernel {
    /// Writes the kernel file (``serialized()``) atomically: `path` holds the old file or the
    /// whole new one, never a part.
    public func write(to path: String) throws {
        try AtomicFile.write(try serialized(), to: path)
    }
}

extension MetaModel {
    /// Writes the model file (``serialized()``) atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(try serialized(), to: path)
    }
}

import Foundation
import MRICore

/// Refuses, before any data is read, a reconstruction whose working set would not fit in
/// the machine's memory: a scan that would otherwise be killed by the kernel halfway, or
/// swap for hours.
public enum MemoryBudget {
    /// Peak memory per byte of one slice's complex64 k-space, measured with GNU time on the
    /// 32-coil 288² slice (21 MB): GRAPPA 118 MB alone and 222 MB in a volume (three slices
    /// in flight), meta 222 MB, RAKI 273 MB, cs 123 MB alone; rounded up.
    static func factor(_ method: ReconstructionMethod) -> Double {
        switch method {
        case .grappa, .meta: 12
        case .raki: 16
        // Measured on the same slice: 123 MB peak for the whole process (16 virtual coils; the
        // maps' pixel matrices are formed one row at a time), GRAPPA's footprint.
        case .cs: 12
        }
    }

    /// Physical memory of this machine, in bytes.
    public static var physicalMemory: Double {
        Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Throws if reconstructing slices of `shape` with `method` needs more than the machine has.
    public static func check(_ shape: (coils: Int, ny: Int, nx: Int), method: ReconstructionMethod, source: String) throws {
        let slice = Double(shape.coils) * Double(shape.ny) * Double(shape.nx) * 8
        let need = slice * factor(method) + 64e6
        let have = physicalMemory
        guard need <= have else {
            let gib = { (b: Double) in String(format: "%.1f GiB", b / 1073741824) }
            throw MRIError(.invalidArgument, "\(source): a slice of \(shape.coils) coils × \(shape.ny) × \(shape.nx) needs about \(gib(need)) to reconstruct with \(method.rawValue); this machine has \(gib(have))")
        }
    }
}

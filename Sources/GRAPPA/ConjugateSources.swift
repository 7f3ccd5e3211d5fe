import Compute
import MRICore
import Numerics

extension Grappa {
    /// Most coils whose reflections a kernel with virtual conjugate coils is fitted with:
    /// larger arrays are compressed to this many first (SVD on the ACS), and the kernel is
    /// fitted from them and their reflections to every physical coil. Twice the coils cost 8×
    /// the factorisation; on a 32-coil development brain, 16 compressed coils gave nearly the
    /// error of all 32 (0.06010 against 0.06009 at R = 4, 0.07316 against 0.07303 at R = 6;
    /// Lab/scripts/virtual_conjugate_probe.py).
    static let virtualConjugateSourceCoils = 16
}

/// The sources of a kernel with virtual conjugate coils: the scan's coils (compressed to at
/// most ``Grappa/virtualConjugateSourceCoils`` virtual coils) and their conjugate reflections,
/// with the physical coils as targets; and the way back from weights on them to weights on the
/// physical coils and their reflections, the form every kernel is kept and applied in.
///
/// The fit reads the calibration lines only, so only they are formed: the lines whose
/// reflections are calibration lines too, a block symmetric about ky = 0 (an odd number of
/// lines, centred on its own middle line, so that the reflection within it is the scan's).
struct ConjugateSources {
    /// The compression of the sources, where the array is larger than the limit.
    let compression: CoilCompression?
    /// The lines the fit reads, as a k-space of their own: the source coils, their
    /// reflections, then (when compressed) the physical coils.
    let kspace: KSpace
    /// The calibration block: the scan's lines that ``kspace`` holds.
    let block: Range<Int>
    /// The same block in ``kspace``'s own lines (all of them).
    var acs: Range<Int> { 0..<block.count }
    /// Which of its coils are sources and targets.
    let roles: KernelCoils

    /// The sources of `k` acquired as `acquisition`.
    init(_ k: KSpace, _ acquisition: Acquisition, compressingTo limit: Int) throws {
        let block = try acquisition.conjugateSymmetric().autoCalibrationLines
        precondition(block.count % 2 == 1, "a block symmetric about ky = 0")
        let calibration = k.window(lines: block, readout: 0..<k.nx)
        self.block = block
        guard k.coils > limit else {
            (compression, kspace, roles) = (nil, calibration.appendingConjugateReflection(), .virtualConjugate(k.coils))
            return
        }
        let compression = try CoilCompression(fitting: k, lines: acquisition.autoCalibrationLines, virtualCoils: limit)
        let sources = compression.compress(calibration).appendingConjugateReflection()
        self.compression = compression
        kspace = try KSpace(coils: sources.coils + k.coils, ny: block.count, nx: k.nx, data: sources.data + calibration.data)
        roles = KernelCoils(sources: sources.coils, targets: sources.coils..<(sources.coils + k.coils), conjugate: true)
    }

    /// Weights (`sources × targets`, column-major, ``GrappaKernel``'s order) fitted on these
    /// sources, as weights on the physical coils and their reflections. A compressed coil is
    /// `Σ_c conj(U_c,v) k_c`, its reflection `Σ_c U_c,v conj(k_c(−k))`.
    func physicalWeights(_ w: [Complex<Float>], geometry g: GrappaKernelGeometry, acceleration r: Int) -> [Complex<Float>] {
        guard let compression else { return w }
        let (coils, m, taps) = (compression.coils, compression.virtualCoils, g.lines * g.readout)
        let targets = roles.targets.count * (r - 1)
        let fitted = 2 * m * taps, kept = 2 * coils * taps
        var out = [Complex<Float>](repeating: .zero, count: kept * targets)
        // Per target, `taps × m` weights on the compressed coils times `Uᴴ` (direct) or `Uᵀ`
        // (reflected) give `taps × coils` weights on the physical ones.
        let direct = (0..<coils).flatMap { c in (0..<m).map { v in compression.basis[c + v * coils].conjugate } }
        let reflected = (0..<coils).flatMap { c in (0..<m).map { v in compression.basis[c + v * coils] } }
        out.withUnsafeMutableBufferPointer { o in
            w.withUnsafeBufferPointer { wp in
                for t in 0..<targets {
                    for (half, map) in [direct, reflected].enumerated() {
                        ComplexLinearAlgebra.gemm(.none, .none, m: taps, n: coils, k: m, a: wp.baseAddress! + t * fitted + half * m * taps,
                                                  lda: taps, b: map, ldb: m, c: o.baseAddress! + t * kept + half * coils * taps, ldc: taps)
                    }
                }
            }
        }
        return out
    }
}

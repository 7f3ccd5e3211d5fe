import Compute
import MRICore
import Numerics

/// GRAPPA (Griswold et al., MRM 2002): each missing k-space point is a linear
/// combination of acquired neighbours across all coils, with weights fitted on the
/// auto-calibration signal (ACS) by Tikhonov-regularised least squares.
///
/// The kernel support and the regularisation are chosen for each scan from its own data
/// (the default: ``GrappaSupport/automatic``, ``GrappaLambda/automatic``; see
/// docs/grappa.md for how, and what it achieves), or fixed (``classic``: 4 lines × 5
/// readout, λ_rel 1e-4, the usual choice of other tools).
///
/// ```swift
/// let acquisition = try Acquisition.uniform(ny: k.ny, acceleration: 4, acsLines: 32)
/// let full = try Grappa().reconstruct(k.masked(by: acquisition.mask), acquisition)
/// let fixed = Grappa(kernel: GrappaKernelGeometry(readout: 5, lines: 4), lambda: 1e-4)
/// ```
public struct Grappa: Sendable {
    /// How the regularised normal equations are solved.
    public enum Solver: String, Sendable, CaseIterable {
        /// `(AᴴA + λI) W = AᴴB` by Cholesky (`cherk` + `cgemm` + `cposv`): the fast default.
        case cholesky
        /// `[A; √λ I] W ≈ [B; 0]` by QR (`cgels`): slower, better conditioned; for checking.
        case qr
    }

    /// The relative Tikhonov weight of the ``classic`` fixed settings, and of a fixed support
    /// given without a λ in APIs that cannot choose one (BENCHMARKS.md, "GRAPPA regularisation").
    public static let defaultLambda = 1e-4

    /// The fixed settings of most tools: 4 lines × 5 readout samples, λ_rel 1e-4.
    public static let classic = Grappa(kernel: GrappaKernelGeometry(), lambda: defaultLambda)

    /// GRAPPA with its support and regularisation chosen for each scan (the default).
    public static let automatic = Grappa(support: .automatic, lambda: .automatic)

    /// The noise variance of one k-space sample of one of `k`'s coils, estimated from its ACS
    /// (the smallest eigenvalues of a small kernel's normal equations against the
    /// Marchenko–Pastur law; docs/grappa.md): what the automatic λ uses without noise data.
    /// Measure it on the physical (or whitened) coils, not on virtual ones.
    public static func noiseVariance(of k: KSpace, _ acquisition: Acquisition) throws -> Double {
        let scale = IntensityScale(of: k, acquisition)
        return scale.restoredVariance(try GrappaRegularizationRisk.noiseVariance(scale.normalized(k), acquisition))
    }

    /// Kernel support: chosen per scan, or fixed.
    public var support: GrappaSupport
    /// Relative Tikhonov weight λ_rel (λ = λ_rel · trace(AᴴA) / number of unknowns): chosen
    /// per scan, or fixed.
    public var lambda: GrappaLambda
    /// Linear solver.
    public var solver: Solver
    /// Whether the coils' conjugate reflections join the kernel's sources (virtual conjugate
    /// coils): chosen per scan, always where the acquisition allows them, or never.
    public var virtualConjugate: GrappaVirtualConjugate = .automatic
    /// The noise variance of one k-space sample of one coil (mean over the coils), where known
    /// from noise-only data (noise scans scaled to the imaging readout's bandwidth); nil: the
    /// automatic λ estimates it from the scan's calibration matrix. Unused when λ is fixed.
    public var noiseVariance: Double?

    /// Whether a noise variance from noise-only data would be used: λ is automatic and no
    /// variance is set.
    public var wantsNoiseVariance: Bool { lambda == .automatic && noiseVariance == nil }

    /// GRAPPA with the given support and regularisation; by default both chosen for each scan.
    public init(support: GrappaSupport = .automatic, lambda: GrappaLambda = .automatic,
                solver: Solver = .cholesky) {
        self.support = support
        self.lambda = lambda
        self.solver = solver
    }

    /// GRAPPA with a fixed kernel support and relative regularisation.
    public init(kernel: GrappaKernelGeometry, lambda: Double, solver: Solver = .cholesky) {
        self.init(support: .fixed(kernel), lambda: .relative(lambda), solver: solver)
    }

    /// Throws a clear error for an invalid kernel shape or regularisation.
    public func validate() throws {
        if case let .fixed(geometry) = support { try geometry.validate() }
        if case let .relative(value) = lambda {
            guard value >= 0, value.isFinite else {
                throw MRIError(.invalidArgument, "regularisation must be a finite number ≥ 0, found \(value)",
                               setting: .lambda)
            }
        }
        if let noiseVariance, !(noiseVariance > 0 && noiseVariance.isFinite) {
            throw MRIError(.invalidArgument, "the noise variance must be a finite number > 0, found \(noiseVariance)",
                           setting: .noiseVariance)
        }
    }

    /// Fits a kernel on the acquisition's ACS block, choosing its support and regularisation
    /// from the scan first where they are automatic; the kernel records what was used.
    public func calibrate(_ k: KSpace, _ acquisition: Acquisition) throws -> GrappaKernel {
        try validate()
        try acquisition.requireLines(of: k)
        // Fitted on the slice scaled to unit intensity (float32 normal equations hold fourth
        // powers of the data; the choice of λ compares eigenvalues with fixed floors): the
        // weights of a linear kernel do not depend on the scale.
        let scale = IntensityScale(of: k, acquisition)
        let k = scale.normalized(k)
        if case let .fixed(geometry) = support, case let .relative(relative) = lambda {
            // Nothing to compare the two by: automatic keeps the physical coils (at the classic
            // settings the virtual ones measured worse at R = 4: docs/grappa.md).
            return try calibrate(k, acquisition, geometry: geometry, lambda: relative, virtualConjugate: virtualConjugate == .on)
        }
        let choice = try select(k, acquisition, noiseVariance: noiseVariance.map(scale.normalizedVariance))
        return try calibrate(k, acquisition, geometry: choice.geometry, lambda: choice.lambda,
                             virtualConjugate: choice.virtualConjugate, normalEquations: choice.calibration)
    }

    /// The support and λ for `k` (at unit intensity), with and without virtual conjugate
    /// coils as ``virtualConjugate`` says; when automatic, the one of least expected error.
    @_spi(Lab) public func select(_ k: KSpace, _ acquisition: Acquisition, noiseVariance: Double?) throws -> GrappaSelection {
        let off = { try GrappaSelection(k, acquisition, support: support, lambda: lambda, noiseVariance: noiseVariance) }
        switch virtualConjugate {
        case .off: return try off()
        case .on:
            return try GrappaSelection(k, acquisition, support: support, lambda: lambda, noiseVariance: noiseVariance, virtualConjugate: true)
        case .automatic:
            let plain = try GrappaSelection(k, acquisition, support: support, lambda: lambda, noiseVariance: noiseVariance,
                                            virtualConjugate: false, lines: nil, fitMayNotFollow: true, proxyToBeat: nil)!
            guard let plainError = plain.expectedError, let plainProxy = plain.scores.first?.error,
                  acquisition.conjugateSymmetryObstacle == nil,
                  // With them, the supports of the plain choice's line count only: their lattice-line
                  // proxies on 8 + 8 coils cost 3× the plain ones, most of it in the other line count.
                  // Both tests must prefer them clearly: the lattice-line proxies outside the ACS
                  // (tested first, which spares the λ's cost where they lose), and the expected
                  // error, from the ACS fit, which favours them wherever the phase is smooth near
                  // the centre (docs/grappa.md, "Virtual conjugate coils").
                  let conjugate = try? GrappaSelection(k, acquisition, support: support, lambda: lambda,
                                                       noiseVariance: noiseVariance ?? plain.noiseVariance, virtualConjugate: true,
                                                       lines: plain.geometry.lines, fitMayNotFollow: true, proxyToBeat: plainProxy),
                  let conjugateError = conjugate.expectedError else { return plain }
            return conjugateError < Self.virtualConjugateRiskRatio * plainError ? conjugate : plain
        }
    }
    /// At most this fraction of the plain kernel's expected error must be expected with virtual
    /// conjugate coils for ``GrappaVirtualConjugate/automatic`` to take them (and the proxies'
    /// error must be lower too). The expected error is optimistic for them: on the simulated
    /// development scans, where they won by 3–28 %, it put them at 0.22–0.45×; on the real
    /// development scans where they lost by 0.7–32 %, at 0.53–0.97× (docs/grappa.md).
    static let virtualConjugateRiskRatio = 0.5

    /// Calibrates on the ACS and fills every missing line of `k`; measured lines are
    /// returned exactly as measured. `k` may hold anything on missing lines (they are
    /// not read): a zero-filled acquisition or a fully sampled scan to undersample.
    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> KSpace {
        let kernel = try calibrate(k, acquisition)
        return try kernel.apply(to: k, acquisition)
    }

    /// `normalEquations`: those of `geometry` on `k`, where already built.
    private func calibrate(_ k: KSpace, _ acquisition: Acquisition, geometry: GrappaKernelGeometry, lambda: Double,
                           virtualConjugate: Bool, normalEquations: CalibrationNormalEquations? = nil) throws -> GrappaKernel {
        let r = acquisition.acceleration
        guard virtualConjugate else {
            let acs = acquisition.autoCalibrationLines
            try geometry.requireCalibratable(acsLines: acs.count, acceleration: r, nx: k.nx)
            let weights = try solve(k, roles: .all(k.coils), acs: acs, acceleration: r, geometry: geometry, lambda: lambda,
                                    normalEquations: normalEquations)
            return try GrappaKernel(geometry: geometry, acceleration: r, coils: k.coils, lambda: lambda, weights: weights)
        }
        let sources = try ConjugateSources(k, acquisition, compressingTo: Self.virtualConjugateSourceCoils)
        try geometry.requireCalibratable(acsLines: sources.block.count, acceleration: r, nx: k.nx)
        // λ_rel stays relative to the normal equations of the physical coils and their
        // reflections, whatever the fit runs on (the same absolute weight: the compression is
        // orthonormal).
        let diagonal = sources.compression == nil ? nil
            : CalibrationNormalEquations.meanDiagonal(k: k, acs: sources.block, acceleration: r, geometry: geometry,
                                                      reflecting: acquisition.mask.acquired)
        let weights = try solve(sources.kspace, roles: sources.roles, acs: sources.acs, acceleration: r, geometry: geometry, lambda: lambda,
                                diagonal: diagonal, normalEquations: sources.compression == nil ? normalEquations : nil)
        return try GrappaKernel(geometry: geometry, acceleration: r, coils: k.coils, lambda: lambda, virtualConjugate: true,
                                weights: sources.physicalWeights(weights, geometry: geometry, acceleration: r))
    }

    /// The weights from the source coils of `k` to its targets (``KernelCoils``), at the ridge
    /// `lambda · diagonal` (by default the normal equations' own mean diagonal).
    private func solve(_ k: KSpace, roles: KernelCoils, acs: Range<Int>, acceleration r: Int, geometry kernel: GrappaKernelGeometry,
                       lambda: Double, diagonal: Double? = nil, normalEquations: CalibrationNormalEquations?) throws -> [Complex<Float>] {
        switch solver {
        case .cholesky:
            var system = normalEquations ?? CalibrationNormalEquations(k: k, acs: acs, acceleration: r, geometry: kernel, roles: roles)
            let n = system.unknowns, nrhs = system.targets
            let ridge = Float(lambda * (diagonal ?? system.meanDiagonal))
            for i in 0..<n { system.gram[i * n + i] += Complex(ridge, 0) }
            let ok = system.gram.withUnsafeMutableBufferPointer { g in
                ComplexLinearAlgebra.choleskyFactor(g: g.baseAddress!, n: n, ldg: n)
            }
            guard ok else {
                throw MRIError(.numerical,
                               "GRAPPA calibration matrix is singular (regularisation \(ridge)); use a larger regularisation",
                               setting: .lambda)
            }
            system.gram.withUnsafeBufferPointer { g in
                system.rhs.withUnsafeMutableBufferPointer { w in
                    let (factor, rhs) = (UnsafeSendable(g.baseAddress!), UnsafeSendable(w.baseAddress!))
                    Parallel.forEachChunk(nrhs) { cols in
                        ComplexLinearAlgebra.choleskySolve(factor: factor.value, n: n, ldf: n,
                                                           b: rhs.value + cols.lowerBound * n, nrhs: cols.count, ldb: n)
                    }
                }
            }
            return system.rhs
        case .qr:
            // Stack √λ·I under A and zeros under B: the same minimiser, without forming AᴴA.
            let s = CalibrationSystem(k: k, acs: acs, acceleration: r, geometry: kernel, roles: roles)
            let n = s.sources, nrhs = s.targets
            var trace = 0.0
            for v in s.a { trace += Double(v.real * v.real + v.imaginary * v.imaginary) }
            let root = Float((lambda * (diagonal ?? trace / Double(n))).squareRoot())
            let m = s.rows + n
            var a = [Complex<Float>](repeating: .zero, count: m * n)
            var b = [Complex<Float>](repeating: .zero, count: m * nrhs)
            for col in 0..<n {
                for row in 0..<s.rows { a[col * m + row] = s.a[col * s.rows + row] }
                a[col * m + s.rows + col] = Complex(root, 0)
            }
            for col in 0..<nrhs {
                for row in 0..<s.rows { b[col * m + row] = s.b[col * s.rows + row] }
            }
            let ok = a.withUnsafeMutableBufferPointer { ap in
                b.withUnsafeMutableBufferPointer { bp in
                    ComplexLinearAlgebra.leastSquaresQR(a: ap.baseAddress!, m: m, n: n, lda: m,
                                                        b: bp.baseAddress!, nrhs: nrhs, ldb: m)
                }
            }
            guard ok else {
                throw MRIError(.numerical, "GRAPPA calibration matrix is rank-deficient; use a larger regularisation",
                               setting: .lambda)
            }
            return (0..<nrhs).flatMap { col in b[(col * m)..<(col * m + n)] }
        }
    }
}

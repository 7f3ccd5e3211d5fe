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
            return try calibrate(k, acquisition, geometry: geometry, lambda: relative)
        }
        let choice = try GrappaSelection(k, acquisition, support: support, lambda: lambda,
                                         noiseVariance: noiseVariance.map(scale.normalizedVariance))
        return try calibrate(k, acquisition, geometry: choice.geometry, lambda: choice.lambda,
                             normalEquations: choice.calibration)
    }

    /// Calibrates on the ACS and fills every missing line of `k`; measured lines are
    /// returned exactly as measured. `k` may hold anything on missing lines (they are
    /// not read): a zero-filled acquisition or a fully sampled scan to undersample.
    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> KSpace {
        let kernel = try calibrate(k, acquisition)
        return try kernel.apply(to: k, acquisition)
    }

    /// `normalEquations`: those of `geometry` on `k`, where already built.
    private func calibrate(_ k: KSpace, _ acquisition: Acquisition, geometry: GrappaKernelGeometry,
                           lambda: Double, normalEquations: CalibrationNormalEquations? = nil) throws -> GrappaKernel {
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        try geometry.requireCalibratable(acsLines: acs.count, acceleration: r, nx: k.nx)
        let weights = try solve(k, acs: acs, acceleration: r, geometry: geometry, lambda: lambda,
                                normalEquations: normalEquations)
        return try GrappaKernel(geometry: geometry, acceleration: r, coils: k.coils, lambda: lambda,
                                weights: weights)
    }

    private func solve(_ k: KSpace, acs: Range<Int>, acceleration r: Int, geometry kernel: GrappaKernelGeometry,
                       lambda: Double, normalEquations: CalibrationNormalEquations?) throws -> [Complex<Float>] {
        switch solver {
        case .cholesky:
            var system = normalEquations ?? CalibrationNormalEquations(k: k, acs: acs, acceleration: r, geometry: kernel)
            let n = system.unknowns, nrhs = system.targets
            let ridge = Float(lambda * system.meanDiagonal)
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
            let s = CalibrationSystem(k: k, acs: acs, acceleration: r, geometry: kernel)
            let n = s.sources, nrhs = s.targets
            var trace = 0.0
            for v in s.a { trace += Double(v.real * v.real + v.imaginary * v.imaginary) }
            let root = Float((lambda * trace / Double(n)).squareRoot())
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

/// The least-squares problem `A·W ≈ B` cut from the ACS block, formed explicitly (for
/// the QR solver; the Cholesky path builds `AᴴA` and `AᴴB` directly, see
/// ``CalibrationNormalEquations``). A row is one
/// calibration position `(y0, x)`: `A` holds its source samples (all coils, source
/// lines `y0 + R·j`, readout `x + d`), `B` its targets (all coils, lines `y0 + m`).
/// Both column-major.
struct CalibrationSystem {
    let rows: Int
    let sources: Int
    let targets: Int
    let a: [Complex<Float>]
    let b: [Complex<Float>]

    init(k: KSpace, acs: Range<Int>, acceleration r: Int, geometry g: GrappaKernelGeometry) {
        let hx = g.halfReadout
        let xs = k.nx - 2 * hx
        // Positions whose sources and targets (m = 1 … R−1) all lie inside the ACS block.
        let bases = Array(g.calibrationBases(acs: acs, acceleration: r))
        rows = bases.count * xs
        sources = k.coils * g.lines * g.readout
        targets = k.coils * (r - 1)
        var a = [Complex<Float>](repeating: .zero, count: rows * sources)
        var b = [Complex<Float>](repeating: .zero, count: rows * targets)
        let nx = k.nx, ny = k.ny, coils = k.coils, rows = rows
        k.data.withUnsafeBufferPointer { kd in
            a.withUnsafeMutableBufferPointer { ap in
                for c in 0..<coils {
                    for (ji, j) in (g.firstLine...g.lastLine).enumerated() {
                        for d in 0..<g.readout {
                            let col = (c * g.lines + ji) * g.readout + d
                            for (bi, y0) in bases.enumerated() {
                                let src = kd.baseAddress! + (c * ny + y0 + r * j) * nx + d
                                (ap.baseAddress! + col * rows + bi * xs).update(from: src, count: xs)
                            }
                        }
                    }
                }
            }
            b.withUnsafeMutableBufferPointer { bp in
                for c in 0..<coils {
                    for m in 1..<r {
                        let col = c * (r - 1) + m - 1
                        for (bi, y0) in bases.enumerated() {
                            let src = kd.baseAddress! + (c * ny + y0 + m) * nx + hx
                            (bp.baseAddress! + col * rows + bi * xs).update(from: src, count: xs)
                        }
                    }
                }
            }
        }
        self.a = a
        self.b = b
    }
}

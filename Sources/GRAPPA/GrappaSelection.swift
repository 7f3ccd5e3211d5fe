import Compute
import Foundation
import MRICore
import Numerics

/// How GRAPPA's kernel support is set.
public enum GrappaSupport: Sendable, Equatable {
    /// Chosen per scan among ``GrappaSelection/candidates`` (those the ACS can calibrate).
    case automatic
    /// This support.
    case fixed(GrappaKernelGeometry)

    /// The support that a front end's two size options ask for: chosen per scan when neither
    /// size is given or either says `auto`; otherwise fixed, a size not given taking the
    /// classic value (4 lines, 5 readout samples).
    public static func requested(lines: Int?, readout: Int?, eitherAutomatic: Bool) -> GrappaSupport {
        if eitherAutomatic || (lines == nil && readout == nil) { return .automatic }
        let classic = GrappaKernelGeometry()
        return .fixed(GrappaKernelGeometry(readout: readout ?? classic.readout, lines: lines ?? classic.lines))
    }
}

/// How GRAPPA's regularisation is set.
public enum GrappaLambda: Sendable, Equatable, ExpressibleByFloatLiteral {
    /// Chosen per scan: the λ of least expected error over the missing samples (``GrappaSelection``).
    case automatic
    /// This relative Tikhonov weight λ_rel.
    case relative(Double)

    public init(floatLiteral value: Double) { self = .relative(value) }
}

/// The kernel support and regularisation chosen for one scan from its own data.
///
/// **Support.** A kernel fitted on the ACS can fit the ACS well and still fail on the missing
/// lines far from it: the signal there is weaker and less smooth, and a wide kernel that
/// exploits the centre's structure does not carry over (a 4-line kernel at R = 6 does 2–3×
/// worse than a 2-line one even on noise-free data, while the ACS fits both equally). So the
/// support is tested where the kernel will be used. The only measured samples outside the ACS
/// are the lattice lines, so each candidate support is judged by a *proxy* of the same shape
/// that predicts a lattice line from the lattice lines around it: the candidate's source lines
/// `R·j` become `R·j` for `j ≤ 0` and `R·(j + 1)` for `j ≥ 1`, and the target the lattice line
/// `R` below the base, which lies between them as the real targets do. Fitted on the ACS over
/// a range of λ, each proxy predicts the measured lattice lines outside the ACS, and the
/// support of the best prediction wins.
///
/// **λ.** The proxies bridge 2R lines where the kernel bridges R and want more regularisation
/// than the kernel does, so λ is chosen for the winning support on its own terms: the one of
/// least expected error over the missing samples (``GrappaRegularizationRisk``).
///
/// On scans of more than ``selectionCoils`` coils both run on that many SVD virtual coils,
/// which keeps them cheap; the kernel itself is then fitted on the physical coils with the
/// chosen support and the same absolute λ.
public struct GrappaSelection: Sendable {
    /// The chosen support.
    public let geometry: GrappaKernelGeometry
    /// The chosen relative regularisation λ_rel.
    public let lambda: Double
    /// The coils the test ran on (``selectionCoils`` virtual coils, or the scan's own).
    public let testedCoils: Int
    /// The noise variance of one k-space sample of one coil (mean over the coils) the automatic
    /// λ used: the one given, or else estimated from the calibration matrix (nil when λ is fixed
    /// or the classic λ was kept).
    public let noiseVariance: Double?
    /// Every tested (support, λ_rel on the tested coils) with its proxy's mean squared
    /// prediction error on the lattice lines outside the ACS, best first.
    public let scores: [(geometry: GrappaKernelGeometry, lambda: Double, error: Double)]
    /// The normal equations of the chosen support on the scan's own coils where the automatic
    /// λ needed them (their trace scales λ; the noise estimate reads a block of them), for the
    /// kernel's fit to reuse.
    let calibration: CalibrationNormalEquations?

    /// The supports considered by ``GrappaSupport/automatic``: 2 or 4 measured lines by
    /// 3, 5 or 7 readout samples.
    public static let candidates: [GrappaKernelGeometry] = [2, 4].flatMap { lines in
        [3, 5, 7].map { GrappaKernelGeometry(readout: $0, lines: lines) }
    }

    /// The ``candidates`` that an ACS of `acsLines` lines and a readout of `nx` samples can
    /// calibrate; throws, naming what is too small, if none can.
    static func fittingCandidates(acsLines: Int, acceleration r: Int, nx: Int) throws -> [GrappaKernelGeometry] {
        let narrowest = candidates.map(\.readout).min()!
        guard nx >= narrowest else {
            throw MRIError(.invalidArgument, "a readout of \(nx) samples is too short for GRAPPA: at least \(narrowest) are needed")
        }
        let fitting = candidates.filter { acsLines >= $0.minimumACSLines(acceleration: r) && nx >= $0.readout }
        guard !fitting.isEmpty else {
            let smallest = candidates.map { $0.minimumACSLines(acceleration: r) }.min()!
            throw MRIError(.invalidArgument,
                           "ACS of \(acsLines) lines is too small for GRAPPA at R=\(r): at least \(smallest) lines are needed",
                           setting: .acsLines)
        }
        return fitting
    }

    /// The regularisations tested first, relative to each line count's widest proxy: decades
    /// from 1e-5 to 100; the half-decades beside the best are tested next.
    public static let decades: [Double] = (-5...2).map { pow(10, Double($0)) }

    /// Virtual coils the test runs on (more coils are compressed to these).
    public static let selectionCoils = 8

    /// Most validation positions (lattice line × readout sample) used.
    static let validationPositions = 1024

    /// Chooses for `k` acquired as `acquisition`; a fixed support or regularisation is kept.
    /// `noiseVariance`: the noise variance of one sample of one coil of `k` where known (from
    /// noise-only data); the automatic λ estimates it from the scan otherwise.
    public init(_ k: KSpace, _ acquisition: Acquisition, support: GrappaSupport,
                lambda: GrappaLambda, noiseVariance known: Double? = nil) throws {
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        var candidates: [GrappaKernelGeometry]
        switch support {
        case let .fixed(geometry):
            try geometry.requireCalibratable(acsLines: acs.count, acceleration: r, nx: k.nx)
            candidates = [geometry]
        case .automatic: candidates = try Self.fittingCandidates(acsLines: acs.count, acceleration: r, nx: k.nx)
        }
        let fallback = candidates[0]
        let testable = candidates.filter { acs.count >= Self.proxySpan($0, acceleration: r) }
        let fixed: Double? = if case let .relative(value) = lambda { value } else { nil }
        // The support is tested, and λ chosen, on a few virtual coils of large arrays.
        // Only the measured lines: nothing reads the others.
        let space = (candidates.count > 1 || fixed == nil) && k.coils > Self.selectionCoils
            ? try CoilCompression(fitting: k, lines: acs, virtualCoils: Self.selectionCoils).compress(k, lines: acquisition.mask.acquired)
            : k
        testedCoils = space.coils
        let proxy = testable.isEmpty || candidates.count == 1 ? nil : try Proxy(space, acquisition, candidates: testable)
        // Without a usable test: the classic support if it fits, else the first that does.
        var chosen = candidates.contains(GrappaKernelGeometry()) ? GrappaKernelGeometry() : fallback
        var proxiesChose = false
        var scores: [(geometry: GrappaKernelGeometry, lambda: Double, error: Double)] = []
        if let proxy, proxy.validationRows > 0 {
            if let fixed {
                for group in proxy.groups { scores += group.errors(relativeRegularization: fixed, proxy: proxy) }
            } else {
                for group in proxy.groups { for lambda in Self.decades { scores += group.errors(groupRegularization: lambda, proxy: proxy) } }
            }
            if fixed == nil, let best = scores.min(by: { $0.error < $1.error }),
               let group = proxy.groups.first(where: { $0.lines == best.geometry.lines }) {
                let groupLambda = best.lambda * group.traceRatio(best.geometry)
                for step in [-0.5, 0.5] { scores += group.errors(groupRegularization: groupLambda * pow(10, step), proxy: proxy) }
            }
            guard !scores.isEmpty else {
                throw MRIError(.numerical, "GRAPPA calibration matrix is singular for every candidate kernel; use a fixed regularisation",
                               setting: .lambda)
            }
            scores.sort { $0.error < $1.error }
            // When the proxies do best as the kernel vanishes they, bridging twice the kernel's
            // gap, predict the outer lattice lines no better than zero, beyond what the array
            // resolves at 2R, and say nothing about R: the classic support stays.
            if fixed != nil || scores[0].lambda < Self.decades.last! { (chosen, proxiesChose) = (scores[0].geometry, true) }
        }
        self.scores = scores
        geometry = chosen
        if let fixed {
            self.lambda = fixed
            (noiseVariance, calibration) = (nil, nil)
        } else if case .automatic = support, !proxiesChose {
            // Nothing outside the ACS could be tested: the classic settings, λ included. The
            // expected-error λ trusts the ACS to show how the kernel fares far from it, and
            // where the proxies see nothing it has measured far too large (on the development
            // 16-coil brain at R = 6, 1.6× the classic kernel's error: BENCHMARKS.md).
            self.lambda = Grappa.defaultLambda
            (noiseVariance, calibration) = (nil, nil)
        } else {
            // λ of least expected error, chosen on the tested coils and carried over to the
            // scan's own at the same absolute weight (measured closer to the choice made on
            // the physical coils than the same relative weight: BENCHMARKS.md).
            let own = CalibrationNormalEquations(k: k, acs: acs, acceleration: r, geometry: chosen)
            let noise = try known ?? GrappaRegularizationRisk.noiseVariance(k, acquisition, calibration: own, kernel: chosen)
            let spectrum = space.coils == k.coils
                ? try GrappaFitSpectrum(k, acquisition, geometry: chosen, calibration: own)
                : try GrappaFitSpectrum(space, acquisition, geometry: chosen)
            let relative = GrappaRegularizationRisk(space, acquisition, spectrum: spectrum, noise: noise).best()
            (noiseVariance, calibration) = (noise, own)
            self.lambda = relative * spectrum.meanDiagonal / own.meanDiagonal
        }
    }
}

extension GrappaSelection {
    /// Source line offsets of `g`'s lattice-line proxy at acceleration `r` (its target is `r`):
    /// the kernel's `R·j` become `R·j` for `j ≤ 0` and `R·(j + 1)` for `j ≥ 1`.
    @_spi(Lab) public static func proxySourceOffsets(_ g: GrappaKernelGeometry, acceleration r: Int) -> [Int] {
        (g.firstLine...g.lastLine).map { r * ($0 <= 0 ? $0 : $0 + 1) }
    }

    /// Lines `g`'s proxy spans, which the ACS must hold for it to be fitted.
    @_spi(Lab) public static func proxySpan(_ g: GrappaKernelGeometry, acceleration r: Int) -> Int {
        let o = proxySourceOffsets(g, acceleration: r) + [r]
        return o.max()! - o.min()! + 1
    }
}

/// The lattice-line proxies of the candidate supports on one scan, and the validation rows
/// outside the ACS (the same for every candidate).
private struct Proxy {
    /// One group per number of lines.
    let groups: [ProxyGroup]
    let coils: Int
    /// Validation targets `rows × coils`, column-major.
    let targets: [Complex<Float>]
    let validationRows: Int
    let acceleration: Int

    init(_ k: KSpace, _ acquisition: Acquisition, candidates: [GrappaKernelGeometry]) throws {
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        let offsets = Array(Set(candidates.flatMap { GrappaSelection.proxySourceOffsets($0, acceleration: r) })).sorted()
        let readout = candidates.map(\.readout).max()!
        acceleration = r
        coils = k.coils
        // Validation: lattice bases whose target (a lattice line R below) lies outside the ACS
        // block and whose sources all lie in the matrix (near its edges a proxy, spanning
        // more lines than the kernel, would mostly test the zero padding).
        let bases = (0..<k.ny).filter { y in
            acquisition.lattice.contains(y) && y + r < k.ny && !acs.contains(y + r)
                && y + offsets.min()! >= 0 && y + offsets.max()! < k.ny
        }
        let hx = readout / 2
        let stride = max(1, (bases.count * max(0, k.nx - 2 * hx) + GrappaSelection.validationPositions - 1)
                            / GrappaSelection.validationPositions)
        let xs = Array(Swift.stride(from: hx, to: k.nx - hx, by: stride))
        let rows = bases.count * xs.count
        validationRows = rows
        let n = k.coils * offsets.count * readout
        var sources = [Complex<Float>](repeating: .zero, count: rows * n)
        var targets = [Complex<Float>](repeating: .zero, count: rows * k.coils)
        for (bi, y) in bases.enumerated() {
            for (xi, x) in xs.enumerated() {
                let row = bi * xs.count + xi
                for c in 0..<k.coils {
                    targets[c * rows + row] = k[c, y + r, x]
                    for (j, o) in offsets.enumerated() {
                        for d in 0..<readout { sources[(((c * offsets.count) + j) * readout + d) * rows + row] = k[c, y + o, x + d - hx] }
                    }
                }
            }
        }
        self.targets = targets
        groups = Set(candidates.map(\.lines)).sorted().map { lines in
            ProxyGroup(k, acs: acs, acceleration: r, candidates: candidates.filter { $0.lines == lines },
                       validation: (sources, rows, offsets, readout))
        }
    }
}

/// The proxies of one number of lines. Their unknowns are ordered by readout distance
/// (|d| ≤ 1 first, then 2, then 3), so that each narrower candidate's normal equations are a
/// leading block of the widest's: one Cholesky factor per regularisation serves them all.
private struct ProxyGroup {
    let lines: Int
    let candidates: [GrappaKernelGeometry]
    let unknowns: Int, targets: Int
    /// Normal equations in readout-distance order.
    let gram: [Complex<Float>], rhs: [Complex<Float>]
    /// Unknowns of each candidate (a prefix), their trace, and its validation sources
    /// (`rows × count`, column-major, in the same unknown order).
    let prefix: [GrappaKernelGeometry: (count: Int, trace: Double, sources: [Complex<Float>])]

    /// `validation` holds the validation rows' sources in the covering layout (`offsets` ×
    /// `readout` per coil), from which each candidate's columns are gathered once.
    init(_ k: KSpace, acs: Range<Int>, acceleration r: Int, candidates: [GrappaKernelGeometry],
         validation: (sources: [Complex<Float>], rows: Int, offsets: [Int], readout: Int)) {
        lines = candidates[0].lines
        self.candidates = candidates.sorted { $0.readout < $1.readout }
        let own = GrappaSelection.proxySourceOffsets(candidates[0], acceleration: r), width = self.candidates.last!.readout
        let system = CalibrationNormalEquations(k: k, acs: acs, sourceOffsets: own, targetOffsets: [r], readout: width)
        let hx = width / 2, coils = k.coils
        // (coil, line, readout distance d) of each unknown, narrowest readout ring first.
        let order = (0..<system.unknowns).sorted { a, b in
            let (da, db) = (abs(a % width - hx), abs(b % width - hx))
            return da != db ? da < db : a < b
        }
        let n = order.count, big = system.unknowns, t = system.targets
        var gram = [Complex<Float>](repeating: .zero, count: n * n)
        var rhs = [Complex<Float>](repeating: .zero, count: n * t)
        for (col, source) in order.enumerated() {
            for (row, other) in order.enumerated() { gram[col * n + row] = system.gram[source * big + other] }
            for q in 0..<t { rhs[q * n + col] = system.rhs[q * big + source] }
        }
        let coveringColumn = { (unknown: Int) -> Int in
            let (c, j, d) = (unknown / (own.count * width), (unknown / width) % own.count, unknown % width - hx)
            return (c * validation.offsets.count + validation.offsets.firstIndex(of: own[j])!) * validation.readout + d
                + validation.readout / 2
        }
        let rows = validation.rows
        var prefix: [GrappaKernelGeometry: (count: Int, trace: Double, sources: [Complex<Float>])] = [:]
        for g in self.candidates {
            let count = coils * own.count * g.readout
            let trace = (0..<count).reduce(0.0) { $0 + Double(gram[$1 * n + $1].real) }
            var sources = [Complex<Float>](repeating: .zero, count: rows * count)
            for (col, unknown) in order.prefix(count).enumerated() {
                let from = coveringColumn(unknown) * rows
                for i in 0..<rows { sources[col * rows + i] = validation.sources[from + i] }
            }
            prefix[g] = (count, trace, sources)
        }
        (unknowns, targets, self.gram, self.rhs, self.prefix) = (n, t, gram, rhs, prefix)
    }

    /// λ_rel of the widest candidate per λ_rel of `g` at the same absolute weight.
    func traceRatio(_ g: GrappaKernelGeometry) -> Double {
        let widest = prefix[candidates.last!]!, own = prefix[g]!
        return (own.trace / Double(own.count)) / (widest.trace / Double(widest.count))
    }

    /// Every candidate's validation error at the absolute weight `lambda · trace/n` of the widest.
    func errors(groupRegularization lambda: Double, proxy: Proxy) -> [(geometry: GrappaKernelGeometry, lambda: Double, error: Double)] {
        let widest = prefix[candidates.last!]!
        let absolute = lambda * widest.trace / Double(widest.count)
        var factor = gram
        for i in 0..<unknowns { factor[i * unknowns + i] += Complex(Float(absolute), 0) }
        let ok = factor.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.choleskyFactor(g: $0.baseAddress!, n: unknowns, ldg: unknowns) }
        guard ok else { return [] }
        return candidates.compactMap { g in
            let own = prefix[g]!
            return error(g, factor: factor, proxy: proxy).map { (g, absolute / (own.trace / Double(own.count)), $0) }
        }
    }

    /// Every candidate's validation error at its own λ_rel `lambda` (a fixed regularisation).
    func errors(relativeRegularization lambda: Double, proxy: Proxy) -> [(geometry: GrappaKernelGeometry, lambda: Double, error: Double)] {
        candidates.compactMap { g in
            let own = prefix[g]!
            var factor = gram
            for i in 0..<own.count { factor[i * unknowns + i] += Complex(Float(lambda * own.trace / Double(own.count)), 0) }
            let ok = factor.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.choleskyFactor(g: $0.baseAddress!, n: own.count, ldg: unknowns) }
            guard ok else { return nil }
            return error(g, factor: factor, proxy: proxy).map { (g, lambda, $0) }
        }
    }

    /// Mean squared error on the validation rows of `g`'s proxy, solved with the leading
    /// block of `factor`.
    private func error(_ g: GrappaKernelGeometry, factor: [Complex<Float>], proxy: Proxy) -> Double? {
        let own = prefix[g]!, n = own.count, rows = proxy.validationRows
        var weights = [Complex<Float>](repeating: .zero, count: n * targets)
        for q in 0..<targets { for i in 0..<n { weights[q * n + i] = rhs[q * unknowns + i] } }
        factor.withUnsafeBufferPointer { f in
            weights.withUnsafeMutableBufferPointer {
                ComplexLinearAlgebra.choleskySolve(factor: f.baseAddress!, n: n, ldf: unknowns, b: $0.baseAddress!, nrhs: targets, ldb: n)
            }
        }
        var residual = proxy.targets
        own.sources.withUnsafeBufferPointer { a in
            weights.withUnsafeBufferPointer { w in
                residual.withUnsafeMutableBufferPointer { c in
                    ComplexLinearAlgebra.gemm(.none, .none, m: rows, n: targets, k: n, alpha: Complex(-1, 0), a: a.baseAddress!, lda: rows,
                                              b: w.baseAddress!, ldb: n, beta: .one, c: c.baseAddress!, ldc: rows)
                }
            }
        }
        let sum = residual.reduce(0.0) { $0 + Double($1.lengthSquared) }
        return sum.isFinite ? sum / Double(rows * targets) : nil
    }
}

extension Grappa {
    /// The support setting in words ("automatic", "4 lines × 5 readout").
    public var supportDescription: String {
        if case let .fixed(geometry) = support { "\(geometry)" } else { "automatic" }
    }

    /// The regularisation setting in words ("automatic", "0.0001").
    public var regularizationDescription: String {
        if case let .relative(value) = lambda { "\(value)" } else { "automatic" }
    }
}

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

/// Whether GRAPPA's kernel uses virtual conjugate coils: each coil's conjugate reflection
/// `conj(k_c(−ky, −kx))` as a further source (``MRICore/ConjugateSymmetry``).
public enum GrappaVirtualConjugate: String, Sendable, CaseIterable {
    /// Never.
    case off
    /// Always (an acquisition that does not allow them is refused).
    case on
    /// Chosen per scan with the support and λ: with them where their expected error is the
    /// smaller and the acquisition allows them (with a fixed support and λ: never).
    case automatic = "auto"
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
    /// Whether the coils' conjugate reflections join the sources (virtual conjugate coils).
    public let virtualConjugate: Bool
    /// The expected squared error over the missing samples of the tested coils at the chosen
    /// λ (``GrappaRegularizationRisk``), where the automatic λ was chosen: what the automatic
    /// choice of virtual conjugate coils compares.
    public let expectedError: Double?

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
    /// `virtualConjugate`: with the coils' conjugate reflections as further sources, calibrated
    /// on the ACS lines whose reflections are ACS lines too (throws where the acquisition does
    /// not allow them: ``MRICore/Acquisition/conjugateSymmetryObstacle``).
    public init(_ k: KSpace, _ acquisition: Acquisition, support: GrappaSupport,
                lambda: GrappaLambda, noiseVariance known: Double? = nil, virtualConjugate: Bool = false) throws {
        try self.init(k, acquisition, support: support, lambda: lambda, noiseVariance: known, virtualConjugate: virtualConjugate,
                      lines: nil, fitMayNotFollow: false, proxyToBeat: nil)!
    }

    /// `lines`: an automatic support is chosen among the candidates of that many lines only.
    /// `fitMayNotFollow`: the scan's own normal equations are not built for the kernel's fit to
    /// reuse (``calibration`` is nil) where the test ran on fewer coils: the caller may choose
    /// another kernel. `proxyToBeat`: nil (no choice is made) unless the best proxy's error is
    /// below it — a comparison that would reject this choice anyway, made before the λ's cost.
    init?(_ k: KSpace, _ acquisition: Acquisition, support: GrappaSupport, lambda: GrappaLambda, noiseVariance known: Double?,
          virtualConjugate: Bool, lines: Int?, fitMayNotFollow: Bool, proxyToBeat: Double?) throws {
        let physical = acquisition
        let acquisition = virtualConjugate ? try physical.conjugateSymmetric() : physical
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        let sources = { (k: KSpace) in virtualConjugate ? k.appendingConjugateReflection(lines: acquisition.mask.acquired) : k }
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
        // Virtual conjugate coils are added after the compression.
        let space = (candidates.count > 1 || fixed == nil) && k.coils > Self.selectionCoils
            ? try CoilCompression(fitting: k, lines: acs, virtualCoils: Self.selectionCoils).compress(k, lines: acquisition.mask.acquired)
            : k
        testedCoils = space.coils
        self.virtualConjugate = virtualConjugate
        let spaceSources = sources(space)
        let proxy = testable.isEmpty || candidates.count == 1 ? nil
            : try Proxy(spaceSources, acquisition, candidates: testable, virtualConjugate: virtualConjugate,
                        lines: testable.contains { $0.lines == lines } ? lines : nil)
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
            if let proxyToBeat, !(scores[0].error < proxyToBeat) { return nil }
            // When the proxies do best as the kernel vanishes they, bridging twice the kernel's
            // gap, predict the outer lattice lines no better than zero, beyond what the array
            // resolves at 2R, and say nothing about R: the classic support stays.
            if fixed != nil || scores[0].lambda < Self.decades.last! { (chosen, proxiesChose) = (scores[0].geometry, true) }
        }
        if proxyToBeat != nil, scores.isEmpty { return nil }
        self.scores = scores
        geometry = chosen
        if let fixed {
            self.lambda = fixed
            (noiseVariance, calibration, expectedError) = (nil, nil, nil)
        } else if case .automatic = support, !proxiesChose {
            // Nothing outside the ACS could be tested: the classic settings, λ included. The
            // expected-error λ trusts the ACS to show how the kernel fares far from it, and
            // where the proxies see nothing it has measured far too large (on the development
            // 16-coil brain at R = 6, 1.6× the classic kernel's error: BENCHMARKS.md).
            self.lambda = Grappa.defaultLambda
            (noiseVariance, calibration, expectedError) = (nil, nil, nil)
        } else {
            // λ of least expected error, chosen on the tested coils and carried over to the
            // scan's own at the same absolute weight (measured closer to the choice made on
            // the physical coils than the same relative weight: BENCHMARKS.md).
            // The noise is the physical coils' (the first columns of the normal equations).
            // With virtual conjugate coils on a compressed array the scan's own normal equations
            // (twice the coils: 8× the plain kernel's factorisation) wait for the fit, which
            // happens only where they win: λ is carried over by their trace, summed directly.
            // Where the fit may not follow, only their sources' block is built, which is all the
            // noise estimate and λ's scale read (about half the cost on 32 coils).
            let deferred = (virtualConjugate || fitMayNotFollow) && space.coils < k.coils
            let scanSources = deferred ? nil : space.coils == k.coils ? spaceSources : sources(k)
            let own = scanSources.map {
                CalibrationNormalEquations(k: $0, acs: acs, acceleration: r, geometry: chosen, virtualConjugate: virtualConjugate)
            }
            let sourceBlock = own ?? (virtualConjugate ? nil : CalibrationNormalEquations(
                k: k, acs: acs, sourceOffsets: (chosen.firstLine...chosen.lastLine).map { r * $0 }, targetOffsets: [], readout: chosen.readout))
            let noise = try known ?? sourceBlock.map { try GrappaRegularizationRisk.noiseVariance(k, acquisition, calibration: $0, kernel: chosen) }
                ?? GrappaRegularizationRisk.noiseVariance(k, physical)
            let spectrum = space.coils == k.coils
                ? try GrappaFitSpectrum(spaceSources, acquisition, geometry: chosen, calibration: own!)
                : try GrappaFitSpectrum(spaceSources, acquisition, geometry: chosen, virtualConjugate: virtualConjugate)
            let risk = GrappaRegularizationRisk(space, physical, spectrum: spectrum, noise: noise)
            let relative = risk.best()
            (noiseVariance, calibration, expectedError) = (noise, own, risk.risk(relative: relative))
            let scanDiagonal = sourceBlock?.meanDiagonal ?? CalibrationNormalEquations.meanDiagonal(
                k: k, acs: acs, acceleration: r, geometry: chosen, reflecting: virtualConjugate ? acquisition.mask.acquired : nil)
            self.lambda = relative * spectrum.meanDiagonal / scanDiagonal
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

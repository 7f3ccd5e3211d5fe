import Compute
import MRICore
import Numerics

/// GRAPPA across ky and kz of a 3-D acquisition accelerated along both (`Ry × Rz`, with or
/// without a CAIPIRINHA shift), in hybrid space: after an inverse FFT along the readout,
/// every readout position `x` is a (kz, ky) plane, and each missing sample of it is a linear
/// combination of the acquired lattice samples near it (all coils), with weights fitted on
/// the calibration box.
///
/// * Kernel: for each position in the lattice's cell (``MRICore/VolumeLattice/cellOffset(z:y:)``)
///   the sources are the lattice samples within ``reach`` periods of it (`reach·Rz`
///   partitions, `reach·Ry` lines), all coils: 20 of them at 2 × 2, 6 at 4 × 1.
/// * Fit: in hybrid space the weights depend on `x` (a k-space kernel's readout extent
///   becomes a smooth function of `x`), so each `x` has its own, fitted on the calibration
///   box at the readout positions within ``readoutWindow`` of it (cyclically: the image is
///   periodic), ridge-regularised with `λ = λ_rel · trace(XXᴴ)/unknowns`.
/// * The acquired samples are returned as acquired.
public struct VolumeGrappa: Sendable {
    /// λ_rel of every fit. Chosen on a simulated development head (32 coils, 2 × 2 and 4 × 1,
    /// three noise levels; `Lab/scripts/grappa3d_bench.py --lambdas`, Lab/NOTEBOOK.md).
    public var lambda = 3e-3
    /// Half the readout positions each fit pools (`x ± readoutWindow`).
    public var readoutWindow = 4
    /// How far the sources reach, in lattice periods: the lattice samples within
    /// `reach·Rz` partitions and `reach·Ry` lines of the target. nil: 2 for a lattice
    /// accelerated along both axes (4–6 sources at 2 × 2 are too few: 20 measured better)
    /// where the calibration box gives every kernel at least ``calibrationRowsPerUnknown``
    /// rows per unknown, else 1 (at 4 × 1 its 6 sources measured better than 20).
    public var reach: Int?

    /// The fewest calibration rows per unknown the automatic reach 2 needs.
    public static let calibrationRowsPerUnknown = 3

    public init() {}

    /// The reach for `acquisition` of `coils` coils.
    public func reach(for acquisition: VolumeAcquisition, coils: Int) -> Int {
        if let reach { return reach }
        let lattice = acquisition.lattice
        guard lattice.lineAcceleration >= 2 && lattice.partitionAcceleration >= 2 else { return 1 }
        let far = Kernels(lattice, reach: 2)
        let rows = far.offsets.map { calibrationPositions(acquisition, offsets: $0).count * (2 * readoutWindow + 1) }  // x ± window
        let enough = zip(rows, far.offsets).allSatisfy { $0 >= Self.calibrationRowsPerUnknown * $1.count * coils }
        return enough ? 2 : 1
    }

    /// Checks the settings.
    public func validate() throws {
        guard lambda.isFinite && lambda >= 0 else { throw MRIError(.invalidArgument, "λ_rel must be a non-negative number, found \(lambda)", setting: .lambda) }
        guard readoutWindow >= 0 else { throw MRIError(.invalidArgument, "the readout window must be at least 0, found \(readoutWindow)") }
        if let reach, !(1...4).contains(reach) { throw MRIError(.invalidArgument, "the kernel's reach must be 1…4 lattice periods, found \(reach)") }
    }

    /// The sources of each kind of missing sample: the kernel of the positions of cell offset
    /// `cells[i]` reads the lattice samples at the (Δz, Δy) of `offsets[i]` from them.
    struct Kernels {
        var cells: [(z: Int, y: Int)] = []
        var offsets: [[(z: Int, y: Int)]] = []

        init(_ lattice: VolumeLattice, reach: Int) {
            let rz = lattice.partitionAcceleration, ry = lattice.lineAcceleration
            let reachZ = reach * rz, reachY = reach * ry
            for dz in 0..<rz {
                for dy in 0..<ry where (dz, dy) != (0, 0) {
                    // A position of this cell offset: the lattice sample of the cell is at (p, l).
                    let (z, y) = (lattice.partitionOffset + dz, lattice.lineOffset + dy)
                    var sources: [(z: Int, y: Int)] = []
                    for oz in -reachZ...reachZ {
                        for oy in -reachY...reachY where lattice.contains(z: z + oz, y: y + oy) { sources.append((oz, oy)) }
                    }
                    cells.append((dz, dy))
                    offsets.append(sources)
                }
            }
        }
    }

    /// The missing samples of `partitions` (k-space `[coils, ky, kx]` per partition kz, as
    /// `acquisition` describes them) estimated; the acquired ones kept.
    public func reconstruct(_ partitions: [KSpace], _ acquisition: VolumeAcquisition) throws -> [KSpace] {
        guard let first = partitions.first, partitions.count == acquisition.partitions else {
            throw MRIError(.invalidArgument, "the k-space has \(partitions.count) partitions but the sampling \(acquisition.partitions)")
        }
        var out = [KSpace?](repeating: nil, count: partitions.count)
        try reconstruct(acquisition, coils: first.coils, nx: first.nx, read: { partitions[$0] }, emit: { out[$0] = $1 })
        var filled = out.map { $0! }
        acquisition.restoreAcquired(of: partitions, into: &filled)
        return filled
    }

    /// The streaming form: partition `z` (k-space `[coils, lines, nx]`) is read by `read(z)`
    /// once, and handed back filled to `emit(z, k)`, partition by partition, so that only the
    /// volume in hybrid space is held whole. The emitted partitions' acquired lines are the
    /// read ones within round-off (the readout FFT pair); callers that need them exact put
    /// them back (``MRICore/VolumeAcquisition/restoreAcquired(partition:of:into:)``).
    public func reconstruct(_ acquisition: VolumeAcquisition, coils: Int, nx: Int, read: (Int) throws -> KSpace,
                            emit: (Int, KSpace) throws -> Void) throws {
        try validate()
        let kernels = Kernels(acquisition.lattice, reach: reach(for: acquisition, coils: coils))
        // Checked before anything is read: every kernel has calibration positions.
        let boxes = try kernels.offsets.map { offsets in
            let box = calibrationPositions(acquisition, offsets: offsets)
            guard !box.isEmpty else {
                throw MRIError(.invalidArgument, "the calibration box (\(acquisition.calibrationPartitions.count) partitions × \(acquisition.calibrationLines.count) lines) is too small for the kernel of \(acquisition.lattice): it needs \(offsets.map(\.z).max()! - offsets.map(\.z).min()! + 1) × \(offsets.map(\.y).max()! - offsets.map(\.y).min()! + 1) fully sampled")
            }
            return box
        }
        let hybrid = try HybridVolume(partitions: acquisition.partitions, coils: coils, lines: acquisition.lines, nx: nx, read: read)
        // The per-x products of every kernel in one allocation (hundreds of MB: fresh pages per
        // kernel cost more in page clearing than the products).
        let largest = (kernels.offsets.map(\.count).max() ?? 0) * coils
        var workspace = FitWorkspace(grams: [Complex<Float>](repeating: .zero, count: nx * largest * largest),
                                     crosses: [Complex<Float>](repeating: .zero, count: nx * largest * coils))
        for ((cell, offsets), box) in zip(zip(kernels.cells, kernels.offsets), boxes) {
            let missing = (0..<acquisition.partitions).flatMap { z in
                (0..<acquisition.lines).compactMap { y in
                    !acquisition.isAcquired(z: z, y: y) && acquisition.lattice.cellOffset(z: z, y: y) == cell ? (z, y) : nil
                }
            }
            guard !missing.isEmpty else { continue }
            let unknowns = offsets.count * coils
            let weights = fit(hybrid, positions: box, offsets: offsets, unknowns: unknowns, workspace: &workspace)
            hybrid.apply(weights, offsets: offsets, to: missing, unknowns: unknowns)
        }
        workspace = FitWorkspace(grams: [], crosses: [])
        try hybrid.emitPartitions(emit)
    }

    /// The positions of the calibration box whose sources all lie in it too.
    func calibrationPositions(_ acquisition: VolumeAcquisition, offsets: [(z: Int, y: Int)]) -> [(Int, Int)] {
        let boxZ = acquisition.calibrationPartitions, boxY = acquisition.calibrationLines
        return boxZ.flatMap { z in
            boxY.compactMap { y in offsets.allSatisfy { boxZ.contains(z + $0.z) && boxY.contains(y + $0.y) } ? (z, y) : nil }
        }
    }

    /// Storage for ``fit``'s per-x products, reused from kernel to kernel.
    struct FitWorkspace {
        var grams: [Complex<Float>], crosses: [Complex<Float>]
    }

    /// Per readout position `x`, the weights: `weights[x·n·coils ..< (x+1)·n·coils]`, an
    /// `n × coils` column-major matrix `V` (n = ``unknowns``) applied as `Vᴴ·sources`.
    ///
    /// With the sources of the calibration positions as the columns of `X` (n × positions)
    /// and their targets as those of `Y`, the row-vector fit `min ‖Wᵀ X − Y‖² + λ‖W‖²` has
    /// the normal equations `(X Xᴴ + λI) V = X Yᴴ` for `V = conj(W)`: both products are plain
    /// BLAS calls on the gathered columns.
    func fit(_ hybrid: HybridVolume, positions: [(Int, Int)], offsets: [(z: Int, y: Int)], unknowns n: Int,
             workspace: inout FitWorkspace) -> [Complex<Float>] {
        let (nx, coils, p) = (hybrid.nx, hybrid.coils, positions.count)
        // Per x: the upper triangle of G_x = X Xᴴ (n × n; its lower triangle is left as it was, unread)
        // and R_x = X Yᴴ (n × coils).
        workspace.grams.withUnsafeMutableBufferPointer { gAll in
            workspace.crosses.withUnsafeMutableBufferPointer { cAll in
                let (gs, cs) = (UnsafeSendable(gAll.baseAddress!), UnsafeSendable(cAll.baseAddress!))
                Parallel.forEachChunk(nx) { chunk in
                    // One pair of buffers per chunk: fresh ones per x cost more in page faults than the products.
                    var sources = [Complex<Float>](repeating: .zero, count: n * p), targets = [Complex<Float>](repeating: .zero, count: coils * p)
                    for x in chunk {
                        for (r, (z, y)) in positions.enumerated() {
                            hybrid.gather(x: x, z: z, y: y, offsets: offsets, into: &sources, at: r * n)
                            hybrid.copy(x: x, z: z, y: y, into: &targets, at: r * coils)
                        }
                        sources.withUnsafeBufferPointer { s in
                            targets.withUnsafeBufferPointer { t in
                                ComplexLinearAlgebra.gramUpper(n: n, k: p, a: s.baseAddress!, lda: n, c: gs.value + x * n * n, ldc: n)
                                ComplexLinearAlgebra.gemm(.none, .conjugateTranspose, m: n, n: coils, k: p, a: s.baseAddress!, lda: n,
                                                          b: t.baseAddress!, ldb: coils, c: cs.value + x * n * coils, ldc: n)
                            }
                        }
                    }
                }
            }
        }
        let window = min(readoutWindow, (nx - 1) / 2), lambda = Float(self.lambda)
        var weights = [Complex<Float>](repeating: .zero, count: nx * n * coils)
        weights.withUnsafeMutableBufferPointer { wAll in
            let ws = UnsafeSendable(wAll.baseAddress!)
            workspace.grams.withUnsafeBufferPointer { gAll in
                workspace.crosses.withUnsafeBufferPointer { cAll in
                    let (gs, cs) = (UnsafeSendable(UnsafeMutablePointer(mutating: gAll.baseAddress!)),
                                    UnsafeSendable(UnsafeMutablePointer(mutating: cAll.baseAddress!)))
                    Parallel.forEachChunk(nx) { chunk in
                        var g = [Complex<Float>](repeating: .zero, count: n * n)
                        for x in chunk {
                            let rhs = ws.value + x * n * coils
                            g.withUnsafeMutableBufferPointer { gp in
                                gp.update(repeating: .zero)
                                for w in -window...window {
                                    let xw = ((x + w) % nx + nx) % nx
                                    ComplexLinearAlgebra.axpy(count: n * n, alpha: .one, x: gs.value + xw * n * n, y: gp.baseAddress!)
                                    ComplexLinearAlgebra.axpy(count: n * coils, alpha: .one, x: cs.value + xw * n * coils, y: rhs)
                                }
                                var trace: Float = 0
                                for i in 0..<n { trace += gp[i * n + i].real }
                                let ridge = lambda * trace / Float(n) + Float.leastNormalMagnitude
                                for i in 0..<n { gp[i * n + i] = gp[i * n + i] + Complex(ridge, 0) }
                                if ComplexLinearAlgebra.choleskyFactor(g: gp.baseAddress!, n: n, ldg: n) {
                                    ComplexLinearAlgebra.choleskySolve(factor: gp.baseAddress!, n: n, ldf: n, b: rhs, nrhs: coils, ldb: n)
                                } else {
                                    rhs.update(repeating: .zero, count: n * coils)  // no signal at this x at all
                                }
                            }
                        }
                    }
                }
            }
        }
        return weights
    }
}

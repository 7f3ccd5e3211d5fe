import CFFTW
import Compute
import Foundation
import MRICore
import Numerics

extension GrappaKernel {
    /// Fills every line of `k` that `acquisition` does not keep with the kernel; kept lines
    /// (the lattice and the ACS block) are returned exactly as measured, and missing lines of
    /// the input are never read. Edges are zero-padded: a source line or readout sample
    /// outside the matrix contributes zero.
    ///
    /// The readout convolution is done as a product in hybrid space (lines × readout
    /// frequency): each row is zero-padded to a length `L ≥ nx + readout/2` so that the
    /// circular convolution equals the zero-padded linear one, then one small GEMM per
    /// frequency applies all coils, lines and distances at once.
    public func apply(to k: consuming KSpace, _ acquisition: Acquisition, source: String = "the k-space") throws -> KSpace {
        try checkApplicable(to: k, acquisition, source: source)
        let plan = HybridPlan(kernel: self, ny: k.ny, nx: k.nx, lattice: acquisition.lattice)
        // The reflected lattice lines are lattice lines (checkApplicable): their spectra follow
        // from the physical lines' own.
        let spectrum = plan.forwardTransform(k)
        let estimates = plan.estimate(spectrum: spectrum, weights: plan.weightsByReadoutOffset(self))
        return plan.inverseTransform(estimates, into: k, keeping: acquisition.keptLines)
    }
}

/// Sizes and index maps of one application of a kernel to one k-space.
struct HybridPlan {
    /// `coils`: the target coils (the k-space's); `sourceCoils`: those and, with virtual
    /// conjugate coils, their reflections.
    let r: Int, s: Int, ny: Int, nx: Int, coils: Int, sourceCoils: Int
    let geometry: GrappaKernelGeometry
    /// Padded readout length of the hybrid transform.
    let length: Int
    /// Lattice indices `l` of the base lines `s + r·l` that have a missing line below them.
    let firstBase: Int, bases: Int
    /// Number of lattice lines that exist in the matrix (`l` in `0..<latticeLines`).
    let latticeLines: Int
    /// Lattice lines held in the padded hybrid array, and the index of `l = 0` in it.
    let paddedLines: Int, paddedZero: Int
    var sourcesPerFrequency: Int { sourceCoils * geometry.lines }
    var targets: Int { coils * (r - 1) }

    init(kernel: GrappaKernel, ny: Int, nx: Int, lattice: UndersamplingLattice) {
        r = kernel.acceleration
        s = lattice.offset
        self.ny = ny
        self.nx = nx
        coils = kernel.coils
        sourceCoils = kernel.sourceCoils
        geometry = kernel.geometry
        length = Self.transformLength(atLeast: nx + geometry.halfReadout)
        let baseRange = lattice.baseIndices(ny: ny)
        firstBase = baseRange.lowerBound
        bases = baseRange.count
        let lastBase = baseRange.upperBound - 1
        latticeLines = (ny - 1 - s) / r + 1
        paddedZero = -(firstBase + geometry.firstLine)
        paddedLines = (lastBase + geometry.lastLine) + paddedZero + 1
    }

    /// Row FFTs of the acquired lattice lines of `k`, stored `[frequency][source coil][padded
    /// line]` (zeros for lines outside the matrix). With virtual conjugate coils (source coils
    /// `coils + c`), the reflected row `v(x) = conj(k(2·(nx/2) − x))` of a lattice line is the
    /// reflected lattice line's spectrum conjugated and shifted: `V(f) = e^{−2πi f·2(nx/2)/L} ·
    /// conj(K(f) − k(0))`, `k(0)` counting only for an even readout, whose first sample reflects
    /// outside it — no second transform, no reflected copy of the data.
    func forwardTransform(_ k: KSpace) -> [Complex<Float>] {
        precondition(k.coils == coils, "the physical coils")
        let L = length, nLat = latticeLines, nPad = paddedLines, coils = coils, sources = sourceCoils
        let fft = FFTPlanCache.shared.plan1D(n: L, howMany: nLat, stride: 1, distance: L, forward: true)
        let rows = UnsafeSendable(fftwf_alloc_complex(coils * nLat * L)!)
        defer { fftwf_free(rows.value) }
        var hybrid = [Complex<Float>](repeating: .zero, count: L * sources * nPad)
        let (ny, nx, r, s, zero) = (ny, nx, r, s, paddedZero)
        let shift = (0..<L).map { f in
            let angle = -2 * Double.pi * Double(f * 2 * (nx / 2) % L) / Double(L)
            return Complex<Float>(Float(cos(angle)), Float(sin(angle)))
        }
        k.data.withUnsafeBufferPointer { kd in
            hybrid.withUnsafeMutableBufferPointer { hd in
                let src = UnsafeSendable(kd.baseAddress!), dst = UnsafeSendable(hd.baseAddress!)
                Parallel.forEach(coils) { c in
                    let block = UnsafeMutableRawPointer(rows.value + c * nLat * L).bindMemory(to: Complex<Float>.self, capacity: nLat * L)
                    block.initialize(repeating: .zero, count: nLat * L)
                    for l in 0..<nLat {
                        (block + l * L).update(from: src.value + (c * ny + s + r * l) * nx, count: nx)
                    }
                    let p = UnsafeMutableRawPointer(block).assumingMemoryBound(to: fftwf_complex.self)
                    fftwf_execute_dft(fft.value, p, p)
                    for l in 0..<nLat {
                        let row = block + l * L
                        var out = dst.value + c * nPad + l + zero
                        for f in 0..<L {
                            out.pointee = row[f]
                            out += sources * nPad
                        }
                    }
                    guard sources > coils else { return }
                    for l in 0..<nLat {
                        // Line s + r·l reflects onto the lattice line l′ (outside the matrix: zero).
                        guard let y = ConjugateSymmetry.mirror(s + r * l, count: ny) else { continue }
                        let reflected = block + ((y - s) / r) * L
                        let first = nx % 2 == 0 ? src.value[(c * ny + y) * nx] : .zero
                        var out = dst.value + (coils + c) * nPad + l + zero
                        for f in 0..<L {
                            out.pointee = shift[f] * (reflected[f] - first).conjugate
                            out += sources * nPad
                        }
                    }
                }
            }
        }
        return hybrid
    }

    /// The kernel rearranged as `[readout offset d][target][line·coils + coil]`, the
    /// layout from which each frequency's hybrid-space matrix is summed.
    func weightsByReadoutOffset(_ kernel: GrappaKernel) -> [Complex<Float>] {
        let bx = geometry.readout, by = geometry.lines
        let nSrc = sourcesPerFrequency, nTrg = targets, all = kernel.sourceCount, coils = sourceCoils
        var w = [Complex<Float>](repeating: .zero, count: bx * nTrg * nSrc)
        kernel.weights.withUnsafeBufferPointer { src in
            for t in 0..<nTrg {
                for sc in 0..<coils {
                    for j in 0..<by {
                        let from = t * all + (sc * by + j) * bx
                        for d in 0..<bx { w[(d * nTrg + t) * nSrc + j * coils + sc] = src[from + d] }
                    }
                }
            }
        }
        return w
    }

    /// Estimates of every target for every base line, `[frequency][target][base]`: per
    /// frequency f, the hybrid kernel `Ŵ_f = Σ_d W_d · e^{+2πi f d / L}` (a
    /// `targets × lines·coils` matrix, built in a small per-thread buffer) times the
    /// source lines around each base.
    func estimate(spectrum: [Complex<Float>], weights: [Complex<Float>]) -> [Complex<Float>] {
        let nSrc = sourcesPerFrequency, nTrg = targets, nb = bases, nPad = paddedLines
        let by = geometry.lines, bx = geometry.readout, hx = geometry.halfReadout, coils = sourceCoils, L = length
        let block = nTrg * nSrc
        var out = [Complex<Float>](repeating: .zero, count: L * nTrg * nb)
        spectrum.withUnsafeBufferPointer { hs in
            weights.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { os in
                    let h = UnsafeSendable(hs.baseAddress!), w = UnsafeSendable(ws.baseAddress!)
                    let o = UnsafeSendable(os.baseAddress!)
                    Parallel.forEach(L) { f in
                        withUnsafeTemporaryAllocation(of: Complex<Float>.self, capacity: nSrc * nb + block) { scratch in
                            let g = scratch.baseAddress!, wf = scratch.baseAddress! + nSrc * nb
                            wf.initialize(repeating: .zero, count: block)
                            for d in 0..<bx {
                                let angle = 2 * Double.pi * Double(f * (d - hx)) / Double(L)
                                ComplexLinearAlgebra.axpy(count: block, alpha: Complex(Float(cos(angle)), Float(sin(angle))),
                                                          x: w.value + d * block, y: wf)
                            }
                            let hf = h.value + f * coils * nPad
                            // Row (line j, coil c) of the source matrix: lattice lines base + j.
                            for j in 0..<by {
                                for c in 0..<coils {
                                    (g + (j * coils + c) * nb).update(from: hf + c * nPad + j, count: nb)
                                }
                            }
                            // Column-major view: Oᵀ (nb × nTrg) = Sᵀ (nb × nSrc) · Ŵᵀ (nSrc × nTrg).
                            ComplexLinearAlgebra.gemm(.none, .none, m: nb, n: nTrg, k: nSrc, a: g, lda: nb,
                                                      b: wf, ldb: nSrc, c: o.value + f * nTrg * nb, ldc: nb,
                                                      threeMultiplications: true)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Back to k-space: inverse row FFTs of the estimates, written into every missing
    /// line of a copy of `k`. The `[frequency][target][base]` estimates are transposed
    /// to rows in tiles of 8 frequencies, so that reads and writes both stay in cache lines.
    func inverseTransform(_ estimates: [Complex<Float>], into k: consuming KSpace, keeping mask: SamplingMask) -> KSpace {
        let L = length, nb = bases, nTrg = targets
        let ifft = FFTPlanCache.shared.plan1D(n: L, howMany: nb, stride: 1, distance: L, forward: false)
        var out = consume k
        let (ny, nx, r, s, first) = (ny, nx, r, s, firstBase)
        let scale = 1 / Float(L)
        let buffers = UnsafeSendable(fftwf_alloc_complex(coils * nb * L)!)
        defer { fftwf_free(buffers.value) }
        estimates.withUnsafeBufferPointer { es in
            out.data.withUnsafeMutableBufferPointer { od in
                let e = UnsafeSendable(es.baseAddress!), o = UnsafeSendable(od.baseAddress!)
                Parallel.forEach(coils) { c in
                    let rows = UnsafeMutableRawPointer(buffers.value + c * nb * L).bindMemory(to: Complex<Float>.self, capacity: nb * L)
                    for m in 1..<r {
                        let t = c * (r - 1) + m - 1
                        for f0 in stride(from: 0, to: L, by: 8) {
                            let f1 = min(f0 + 8, L)
                            for b in 0..<nb {
                                for f in f0..<f1 { rows[b * L + f] = e.value[(f * nTrg + t) * nb + b] }
                            }
                        }
                        let p = UnsafeMutableRawPointer(rows).assumingMemoryBound(to: fftwf_complex.self)
                        fftwf_execute_dft(ifft.value, p, p)
                        for b in 0..<nb {
                            let y = s + r * (first + b) + m
                            guard y >= 0, y < ny, !mask.acquired[y] else { continue }
                            let dst = o.value + (c * ny + y) * nx, row = rows + b * L
                            for x in 0..<nx { dst[x] = Complex(row[x].real * scale, row[x].imaginary * scale) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Smallest even length ≥ `n` whose only prime factors are 2, 3, 5 and 7 (fast for FFTW).
    static func transformLength(atLeast n: Int) -> Int {
        var m = max(2, n + (n & 1))
        while true {
            var v = m
            for p in [2, 3, 5, 7] { while v % p == 0 { v /= p } }
            if v == 1 { return m }
            m += 2
        }
    }
}

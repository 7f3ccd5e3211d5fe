import MRICore

extension GrappaKernel {
    /// The kernel's estimates on the rows `block` of `k` (normally the ACS), for each lattice
    /// offset in turn: the block as a k-space of its own, undersampled with offset 0…R−1.
    /// Entry `o` holds, on every row the offset-`o` lattice does not keep, what the kernel
    /// predicts there from the block's own lattice lines; the sources (base ± R) lie inside
    /// the block for every row a network pair needs, so no edge is involved. A nonlinear
    /// stage trained on the linear kernel's residual (residual RAKI, residual Meta-GRAPPA)
    /// builds its targets from these.
    public func estimates(onRows block: Range<Int>, of k: KSpace) throws -> [KSpace] {
        guard !virtualConjugate else {
            throw MRIError(.invalidArgument, "a kernel with virtual conjugate coils cannot estimate a block of rows: their reflection is the whole scan's",
                           setting: .virtualConjugate)
        }
        var rows = KSpace(zerosCoils: k.coils, ny: block.count, nx: k.nx)
        for c in 0..<k.coils { for (row, y) in block.enumerated() { for x in 0..<k.nx { rows[c, row, x] = k[c, y, x] } } }
        return try (0..<acceleration).map { offset in
            let lines = try Acquisition(mask: SamplingMask(acquired: (0..<block.count).map { $0 % acceleration == offset }))
            return try apply(to: rows, lines)
        }
    }
}

import Numerics

extension KSpace {
    /// This k-space with its 2× readout oversampling removed: the readout is transformed to
    /// the image domain, its central half kept, and transformed back, so that `nx` halves and
    /// the field of view along the readout halves with it. Samples keep their amplitude
    /// (a constant readout stays the same constant), as twixtools' `remove_os` does.
    public func removingReadoutOversampling() throws -> KSpace {
        guard nx >= 2, nx.isMultiple(of: 2) else {
            throw MRIError(.invalidArgument, "readout oversampling removal needs an even number of readout samples, found \(nx)")
        }
        // The phase-encoding transform of the 2-D pair cancels; the orthonormal scaling of
        // the half-width inverse leaves a factor √2 to take out.
        let images = CenteredFFT.image(from: self)
        let half = nx / 2, start = nx / 4
        var cropped = [Complex<Float>](repeating: .zero, count: coils * ny * half)
        for c in 0..<coils {
            for y in 0..<ny {
                let from = (c * ny + y) * nx + start, to = (c * ny + y) * half
                for x in 0..<half { cropped[to + x] = images.data[from + x] * Complex(Float(0.5).squareRoot(), 0) }
            }
        }
        return CenteredFFT.kspace(from: CoilImages(coils: coils, ny: ny, nx: half, data: cropped))
    }
}

import MRICore

/// One simulated fully sampled scan as `metagrappa simulate` asks for it: the Shepp–Logan
/// phantom seen by loop coils, or a slice of the shipped Colin27 brain through the paper's
/// array. Unset phantom settings take ``PhantomSimulator``'s defaults; a brain slice is
/// always 288² through the paper's array, so the phantom settings are refused with it.
public struct ScanSimulation: Sendable {
    public var matrix: Int?
    public var ny: Int?
    public var nx: Int?
    public var coils: Int?
    public var array: PhantomSimulator.Layout?
    public var noiseLevel = 0.004
    public var noiseCorrelation: Double?
    public var objectScale: Double?
    /// A Colin27 slice instead of the phantom.
    public var brainSlice: Int?
    public var seed: UInt64 = 20190501

    public init() {}

    /// The noisy and the noise-free k-space.
    public func run() throws -> (noisy: KSpace, clean: KSpace) {
        guard let brainSlice else { return try phantom() }
        let phantomSettings: [(String, Bool)] = [("matrix", matrix != nil), ("ny", ny != nil), ("nx", nx != nil), ("coils", coils != nil),
                                                 ("array", array != nil), ("correlation", noiseCorrelation != nil),
                                                 ("object-scale", objectScale != nil)]
        if let given = phantomSettings.first(where: \.1) {
            throw MRIError(.invalidArgument, "brain slice: \(given.0) is a phantom setting; a brain slice is 288² through the paper's array")
        }
        let volume = try BrainVolume.colin27()
        guard (0..<volume.depth).contains(brainSlice) else {
            throw MRIError(.invalidArgument, "brain slice \(brainSlice) is outside the volume's 0…\(volume.depth - 1)")
        }
        let scan = try BrainTaskSimulator(volume: volume).scan(slice: brainSlice, seed: seed, noiseLevel: noiseLevel, augment: false)
        return (scan.noisy, scan.clean)
    }

    private func phantom() throws -> (noisy: KSpace, clean: KSpace) {
        let array = array ?? .rings, defaults = PhantomSimulator()
        if array == .paper, let coils, coils != PaperCoilArray.coils {
            throw MRIError(.invalidArgument, "the paper array has \(PaperCoilArray.coils) loops: coils \(coils) contradicts it (leave the coil count out)")
        }
        var sim = PhantomSimulator(ny: ny ?? matrix ?? defaults.ny, nx: nx ?? matrix ?? defaults.nx,
                                   coils: array == .paper ? PaperCoilArray.coils : coils ?? defaults.coils, noiseLevel: noiseLevel, seed: seed)
        sim.array = array
        sim.noiseCorrelation = noiseCorrelation ?? defaults.noiseCorrelation
        sim.objectScale = objectScale ?? defaults.objectScale
        let simulated = try sim.simulate()
        return (simulated.noisy, simulated.clean)
    }
}

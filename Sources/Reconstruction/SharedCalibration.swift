import GRAPPA
import MRICore
import MRIIO

/// Frames (echoes, repetitions, sets) whose reference lines were acquired once, with another
/// frame of the same slice (``MRIIO/KSpaceVolumeReader/calibrationSlice(for:)``): each is
/// reconstructed with the GRAPPA kernel calibrated on that frame, calibrated once per slice
/// position. Other methods fit more than a kernel to a frame's own ACS and are refused.
struct SharedCalibration {
    /// Per reconstructed slice without calibration lines, the slice that calibrates it.
    let sources: [Int: Int]
    private var reconstructors: [Int: any Reconstructor] = [:]

    /// The frames among `selected` that calibrate on another; throws if the settings cannot.
    init(reader: any KSpaceVolumeReader, selected: [Int], sampling: SamplingSource, settings: ReconstructionSettings, input: String) throws {
        var sources: [Int: Int] = [:]
        // Only the file's own sampling lacks lines: a given mask or pattern has its ACS everywhere.
        if case .recordedInFile = sampling {
            for index in selected { if let source = try reader.calibrationSlice(for: index) { sources[index] = source } }
        }
        self.sources = sources
        guard let (index, source) = sources.min(by: { $0.key < $1.key }), settings.kernel == nil else { return }
        guard settings.method == .grappa, settings.virtualCoils == nil else {
            throw MRIError(.invalidArgument, "\(input): slice \(index) has no reference lines of its own (they were acquired with slice \(source)): only GRAPPA without coil compression calibrates once and applies to every frame")
        }
    }

    /// The reconstructor of slice `index`: nil if it calibrates on itself (or a kernel is
    /// given), else the kernel of its calibration slice, calibrated by `reconstructor` on it
    /// the first time.
    mutating func reconstructor(for index: Int, reader: any KSpaceVolumeReader, sampling: SamplingSource, input: String,
                                settings: ReconstructionSettings, whitening: CoilWhitening?,
                                calibrating reconstructor: any Reconstructor) throws -> (any Reconstructor)? {
        guard settings.kernel == nil, let source = sources[index] else { return nil }
        if let known = reconstructors[source] { return known }
        let acquisition = try sampling.acquisition(for: reader, slice: source, source: input)
        let fitted = try reconstructor.reconstruct(reader.readSlice(source), acquisition)
        guard let kernel = fitted.grappaKernel else { throw MRIError(.numerical, "\(input): slice \(source) gave no GRAPPA kernel") }
        var applying = settings
        applying.kernel = (kernel, "the kernel of slice \(source)")
        applying.prewhitening = .off  // the kernel is of the coils as the calibration saw them: whitened if they were
        let made = try applying.reconstructor(whitening: whitening)
        reconstructors[source] = made
        return made
    }
}

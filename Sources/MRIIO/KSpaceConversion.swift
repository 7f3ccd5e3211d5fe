import Foundation
import MRICore

/// A reader whose slices have their 2× readout oversampling removed
/// (``MRICore/KSpace/removingReadoutOversampling()``); sampling, noise and properties pass through.
public final class OversamplingRemovedReader: KSpaceVolumeReader {
    private let inner: any KSpaceVolumeReader
    public var source: String { inner.source }
    public var format: KSpaceFormat { inner.format }
    public var slices: Int { inner.slices }
    public let sliceShape: (coils: Int, ny: Int, nx: Int)
    public var properties: [(name: String, value: String)] { inner.properties }

    /// Wraps `inner`, whose readout length must be even.
    public init(_ inner: any KSpaceVolumeReader) throws {
        let (c, ny, nx) = inner.sliceShape
        guard nx >= 2, nx.isMultiple(of: 2) else {
            throw MRIError(.invalidArgument, "\(inner.source): readout oversampling removal needs an even number of readout samples, found \(nx)")
        }
        self.inner = inner
        sliceShape = (c, ny, nx / 2)
    }

    public func readSlice(_ index: Int) throws -> KSpace { try inner.readSlice(index).removingReadoutOversampling() }
    public func acquiredLines(slice index: Int) throws -> SamplingMask? { try inner.acquiredLines(slice: index) }
    public func noiseScans() throws -> KSpace? { try inner.noiseScans() }
    /// The inner geometry, its readout no longer (2×) oversampled.
    public func geometry() throws -> ScanGeometry? {
        guard var g = try inner.geometry() else { return nil }
        g.readoutOversampling = max(1, g.readoutOversampling / 2)
        return g
    }
}

/// Copies k-space from one file format to another, slice by slice (`metagrappa convert`):
/// memory stays at one slice, and the output appears only when every slice was written.
public struct KSpaceConversion {
    /// Input k-space file (any readable format).
    public var input: String
    /// Output file (format by extension).
    public var output: String
    /// Only this slice (0-based).
    public var slice: Int?
    /// Remove 2× readout oversampling on the way.
    public var removeReadoutOversampling = false
    /// Also write the input's recorded sampling as a 1-D ky mask (`.npy` bool), for inputs
    /// that record one (ISMRMRD, Siemens raw data); the pattern must be the same in every slice.
    public var maskOutput: String?
    /// Opens the input (a front end may isolate the file reader, say).
    public var openInput: (String) throws -> any KSpaceVolumeReader = KSpaceFiles.openReader

    /// A conversion from `input` to `output`.
    public init(input: String, output: String) { (self.input, self.output) = (input, output) }

    /// Converts; returns the number of slices written.
    @discardableResult
    public func run() throws -> Int {
        try KSpaceFiles.validateOutput(output, input: input, extensions: KSpaceFiles.outputExtensions)
        if let maskOutput { try KSpaceFiles.validateOutput(maskOutput, input: input, extensions: ["npy"]) }
        var reader = try openInput(input)
        if removeReadoutOversampling { reader = try OversamplingRemovedReader(reader) }
        let selected = try KSpaceFiles.chosenSlices(slice, of: reader, source: input)
        var mask: SamplingMask?
        if maskOutput != nil {
            for s in selected {
                guard let lines = try reader.acquiredLines(slice: s) else {
                    throw MRIError(.invalidArgument, "\(input) records no sampling pattern to write as a mask", setting: .mask)
                }
                guard mask == nil || mask == lines else {
                    throw MRIError(.invalidArgument, "\(input): slice \(s) is sampled differently from slice \(selected[0]); one mask cannot describe both (convert one slice at a time)",
                                   setting: .mask)
                }
                mask = lines
            }
        }
        let writer = try KSpaceFiles.createWriter(output, slices: selected.count, sliceShape: reader.sliceShape, like: reader, sourceSlices: selected)
        for (i, s) in selected.enumerated() { try writer.write(reader.readSlice(s), slice: i) }
        try writer.commit()
        if let maskOutput, let mask { try NpyFile.write(mask, to: maskOutput) }
        return selected.count
    }
}

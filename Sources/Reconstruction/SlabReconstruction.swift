import MRICore
import MRIIO

/// The slabs of a 3-D acquisition accelerated along ky (``MRIIO/KSpaceVolumeReader/partitions``):
/// each slab's partitions are transformed along kz into z planes, each plane is a 2-D problem
/// for any method, and the reconstructed planes go back to partitions (a k-space output) or
/// stay planes (an image output, which places them by the geometry's z planes). A slab is
/// held whole, twice, while it is reconstructed.
struct SlabReconstruction {
    let reader: any KSpaceVolumeReader
    let writer: any KSpaceVolumeWriter
    /// Whether the writer takes z planes (images) rather than partitions (k-space).
    let writesImages: Bool
    let sampling: SamplingSource
    let input: String

    /// Runs `reconstructPlane(index, k)` on every z plane (index: the plane's slice number in
    /// the volume) and writes the results.
    func run(_ reconstructPlane: (Int, consuming KSpace) throws -> KSpace) throws {
        let planes = reader.partitions
        for slab in 0..<(reader.slices / planes) {
            let indices = (slab * planes)..<((slab + 1) * planes)
            // Acceleration along ky only: every partition has the same lines.
            if case .recordedInFile = sampling {
                let lines = try indices.map { try reader.acquiredLines(slice: $0) }
                guard lines.allSatisfy({ $0 == lines[0] }) else {
                    throw MRIError(.format, "\(input): the partitions of slab \(slab) are sampled differently (acceleration along kz): only acceleration along ky is supported in 3-D")
                }
            }
            let z = CenteredFFT.alongPartitions(try indices.map { try reader.readSlice($0) }, forward: false)
            let filled = try zip(indices, z).map { try reconstructPlane($0.0, $0.1) }
            let out = writesImages ? filled : CenteredFFT.alongPartitions(filled, forward: true)
            for (index, k) in zip(indices, out) { try writer.write(k, slice: index) }
        }
    }
}

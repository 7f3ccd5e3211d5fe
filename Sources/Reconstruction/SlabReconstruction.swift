import MRICore
import MRIIO

/// The slabs of a 3-D acquisition (``MRIIO/KSpaceVolumeReader/partitions``). Accelerated along
/// ky alone, each slab's partitions are transformed along kz into z planes, each plane is a
/// 2-D problem for any method, and the reconstructed planes go back to partitions (a k-space
/// output) or stay planes (an image output, which places them by the geometry's z planes).
/// Accelerated along kz too (the file's partitions sampled differently), the slab is one
/// problem in (kz, ky) (``MRICore/VolumeAcquisition``), for a method that solves it. A slab is
/// held whole, twice, while it is reconstructed.
struct SlabReconstruction {
    let reader: any KSpaceVolumeReader
    let writer: any KSpaceVolumeWriter
    /// Whether the writer takes z planes (images) rather than partitions (k-space).
    let writesImages: Bool
    let sampling: SamplingSource
    let input: String

    /// A reconstruction of a slab accelerated along kz too: it reads partition `z` of the slab
    /// with `read(z)` and hands each filled partition to `emit(z, k)`.
    typealias VolumeReconstructor = (VolumeAcquisition, _ read: (Int) throws -> KSpace, _ emit: (Int, KSpace) throws -> Void) throws -> Void

    /// Runs `reconstructPlane(index, k)` on every z plane (index: the plane's slice number in
    /// the volume), or `reconstructVolume` on a slab accelerated along kz too (nil: refused,
    /// with `refusal` saying why), and writes the results.
    func run(_ reconstructPlane: (Int, consuming KSpace) throws -> KSpace,
             volume reconstructVolume: VolumeReconstructor?, refusal: String) throws {
        let planes = reader.partitions
        for slab in 0..<(reader.slices / planes) {
            let indices = (slab * planes)..<((slab + 1) * planes)
            if case .recordedInFile = sampling {
                let lines = try reader.acquiredLines(ofSlab: slab)
                if !lines.allSatisfy({ $0 == lines[0] }) {
                    guard let reconstructVolume else {
                        throw MRIError(.invalidArgument, "\(input): the partitions of slab \(slab) are sampled differently (acceleration along kz): \(refusal)")
                    }
                    let acquisition: VolumeAcquisition
                    do {
                        acquisition = try VolumeAcquisition(partitionLines: lines)
                    } catch let error as MRIError { throw MRIError(error.kind, "\(input), slab \(slab): \(error.message)") }
                    // k-space out partition by partition; images need the whole slab for the kz transform.
                    let images = writesImages ? newSlab() : nil
                    try reconstructVolume(acquisition, { try reader.readSlice(indices.lowerBound + $0) }) { z, k in
                        if let images { images.store(k, at: z) } else { try writer.write(k, slice: indices.lowerBound + z) }
                    }
                    if let images {
                        images.transform(forward: false)
                        for (z, index) in indices.enumerated() { try writer.write(images.load(z), slice: index) }
                    }
                    continue
                }
            }
            // The slab held once: partitions in, z planes reconstructed in place, partitions out.
            let slab = newSlab()
            for (z, index) in indices.enumerated() { slab.store(try reader.readSlice(index), at: z) }
            slab.transform(forward: false)
            for (z, index) in indices.enumerated() { slab.store(try reconstructPlane(index, slab.load(z)), at: z) }
            if !writesImages { slab.transform(forward: true) }
            for (z, index) in indices.enumerated() { try writer.write(slab.load(z), slice: index) }
        }
    }

    private func newSlab() -> PartitionSlab {
        let shape = reader.sliceShape
        return PartitionSlab(planes: reader.partitions, coils: shape.coils, ny: shape.ny, nx: shape.nx)
    }
}

import MRICore
import MRIIO

/// The slabs of a 3-D acquisition (``MRIIO/KSpaceVolumeReader/partitions``). Accelerated along
/// ky alone, each slab's partitions are transformed along kz into z planes, each plane is a
/// 2-D problem for any method, and the reconstructed planes go back to partitions (a k-space
/// output) or stay planes (an image output, which places them by the geometry's z planes).
/// Accelerated along kz too (the file's partitions sampled differently), the slab is one
/// problem in (kz, ky) (``MRICore/VolumeAcquisition``), for a method that solves it. Partial
/// Fourier along kz (partitions at one end of the slab never acquired, the rest sampled alike)
/// is zero-filled: those partitions are zero in the transform along kz and in the output. A
/// slab is held once while it is reconstructed (``MRICore/PartitionSlab``).
struct SlabReconstruction {
    let reader: any KSpaceVolumeReader
    /// Whether the output takes z planes (images) rather than partitions (k-space).
    let writesImages: Bool
    let sampling: SamplingSource
    let input: String
    /// How partial Fourier is completed (along kz only zero filling is offered).
    var completion = PartialFourierCompletion.zeros

    /// How one slab is reconstructed.
    enum Plan {
        /// By z plane: the partitions `measured` sampled alike, any others never acquired.
        case planes(measured: Range<Int>)
        /// As one problem in (kz, ky).
        case volume(VolumeAcquisition)
    }

    /// A reconstruction of a slab accelerated along kz too: it reads partition `z` of the slab
    /// with `read(z)` and hands each filled partition to `emit(z, k)`.
    typealias VolumeReconstructor = (VolumeAcquisition, _ read: (Int) throws -> KSpace, _ emit: (Int, KSpace) throws -> Void) throws -> Void

    /// Every slab's plan, from the sampling alone, before anything is read or written; a slab
    /// accelerated along kz is refused unless `acrossKyAndKz` (with `refusal` saying why).
    func plans(acrossKyAndKz: Bool, refusal: String) throws -> [Plan] {
        let planes = reader.partitions
        return try (0..<(reader.slices / planes)).map { slab in
            guard case .recordedInFile = sampling else { return .planes(measured: 0..<planes) }
            let sampled = try reader.sampling(ofSlab: slab)
            if sampled.alike {
                // Sampled alike where measured: by plane, never-acquired end partitions zero.
                guard !sampled.partialAlongKz || completion == .zeros else {
                    throw MRIError(.invalidArgument, "\(input), slab \(slab): partial Fourier along kz (partitions \(sampled.measuredDescription) measured) is completed by zero filling only, not \(completion.rawValue)")
                }
                return .planes(measured: sampled.measured)
            }
            guard acrossKyAndKz else {
                throw MRIError(.invalidArgument, "\(input): the partitions of slab \(slab) are sampled differently (acceleration along kz): \(refusal)")
            }
            do {
                return .volume(try VolumeAcquisition(partitionLines: sampled.lines))
            } catch let error as MRIError {
                // Beyond the lattice's last partitions, a kz-accelerated slab with partitions
                // never acquired at an end is partial Fourier along kz as well.
                let partial = !sampled.partialAlongKz ? ""
                    : " (partitions \(sampled.measuredDescription) measured: partial Fourier along kz with acceleration along kz is not supported)"
                throw MRIError(error.kind, "\(input), slab \(slab): \(error.message)\(partial)")
            }
        }
    }

    /// Carries out `plans` (``plans(acrossKyAndKz:refusal:)``): `reconstructPlane(index, k)` on
    /// every z plane (index: the plane's slice number in the volume), `reconstructVolume` on a
    /// slab solved in (kz, ky), the results to `writer`.
    func run(_ plans: [Plan], writer: any KSpaceVolumeWriter, _ reconstructPlane: (Int, consuming KSpace) throws -> KSpace,
             volume reconstructVolume: VolumeReconstructor?) throws {
        let planes = reader.partitions
        for (slab, plan) in plans.enumerated() {
            let indices = (slab * planes)..<((slab + 1) * planes)
            switch plan {
            case let .volume(acquisition):
                guard let reconstructVolume else { preconditionFailure("a volume plan without its reconstruction") }
                // k-space out partition by partition; images need the whole slab for the kz transform.
                let images = writesImages ? newSlab() : nil
                try reconstructVolume(acquisition, { try reader.readSlice(indices.lowerBound + $0) }) { z, k in
                    if let images { images.store(k, at: z) } else { try writer.write(k, slice: indices.lowerBound + z) }
                }
                if let images {
                    images.transform(forward: false)
                    for (z, index) in indices.enumerated() { try writer.write(images.load(z), slice: index) }
                }
            case let .planes(measured):
                // The slab held once: partitions in, z planes reconstructed in place, partitions out.
                let slab = newSlab()
                for (z, index) in indices.enumerated() { slab.store(try reader.readSlice(index), at: z) }
                slab.transform(forward: false)
                for (z, index) in indices.enumerated() { slab.store(try reconstructPlane(index, slab.load(z)), at: z) }
                if !writesImages || measured != 0..<planes { slab.transform(forward: true) }
                // Partitions never acquired stay zero, as partial Fourier in ky leaves its lines.
                for z in 0..<planes where !measured.contains(z) { slab.clear(z) }
                if writesImages && measured != 0..<planes { slab.transform(forward: false) }
                for (z, index) in indices.enumerated() { try writer.write(slab.load(z), slice: index) }
            }
        }
    }

    private func newSlab() -> PartitionSlab {
        let shape = reader.sliceShape
        return PartitionSlab(planes: reader.partitions, coils: shape.coils, ny: shape.ny, nx: shape.nx)
    }
}

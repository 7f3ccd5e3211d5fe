import Foundation
import MRICore
import Numerics

/// Reconstructed k-space slices written as the coil-combined magnitude image in NIfTI-1
/// (`.nii`, `.nii.gz`) with the scanner's geometry (``ScanGeometry``): each slice's image
/// (``ImageCombiner``: by default the root-sum-of-squares of the inverse centred FFTs),
/// readout oversampling cropped,
/// slices stacked along their normal in position order, frames that share a position
/// (echoes, repetitions) as the 4th dimension in slice-index order. Without a geometry:
/// 1 mm voxels in an identity orientation (``note`` says so). Nothing is written before
/// ``commit()``; then the file appears whole.
public final class NiftiImageWriter: KSpaceVolumeWriter {
    public let path: String
    /// A remark for the user about the geometry (none found), or nil.
    public let note: String?
    private let geometry: ScanGeometry?
    private let combiner: ImageCombiner
    private let slices: Int
    private var images: [[Float]?]
    private var shape: (ny: Int, nx: Int)?

    /// A writer of `slices` slices of `sliceShape` placed by `geometry` (nil: none known),
    /// each combined by `combiner`.
    public init(path: String, slices: Int, sliceShape: (coils: Int, ny: Int, nx: Int), geometry: ScanGeometry?,
                combiner: ImageCombiner = .rootSumOfSquares) throws {
        self.path = path
        self.combiner = combiner
        self.slices = slices
        images = Array(repeating: nil, count: slices)
        if let geometry {
            guard geometry.slices.count == slices else {
                throw MRIError(.format, "\(path): the geometry places \(geometry.slices.count) slices, the data have \(slices)")
            }
            guard sliceShape.nx % geometry.readoutOversampling == 0 else {
                throw MRIError(.format, "\(path): a readout of \(sliceShape.nx) samples is not \(geometry.readoutOversampling)× oversampled")
            }
            self.geometry = geometry
            note = nil
        } else {
            self.geometry = nil
            note = "\(path): the input records no geometry: written with 1 mm voxels in an identity orientation"
        }
    }

    /// Keeps slice `index`'s combined image (the k-space itself is not kept).
    public func write(_ k: KSpace, slice index: Int) throws {
        if let complex = combiner.complex {
            let image = try complex(k)
            try keep(image.flatMap { [$0.real, $0.imaginary] }, channels: 2, ny: k.ny, nx: k.nx, slice: index)
        } else {
            try write(image: combiner.combine(k), slice: index)
        }
    }

    /// Keeps `image` (a combined image of the recorded readout, oversampling included) as
    /// slice `index`.
    public func write(image: RealImage, slice index: Int) throws {
        try keep(image.pixels, channels: 1, ny: image.ny, nx: image.nx, slice: index)
    }

    /// Keeps `values` (`channels` floats per pixel, `ny × nx` pixels) cropped to the field of view.
    private func keep(_ values: [Float], channels: Int, ny: Int, nx: Int, slice index: Int) throws {
        precondition(images.indices.contains(index), "slice index out of range")
        let factor = geometry?.readoutOversampling ?? 1
        guard nx % factor == 0 else {
            throw MRIError(.invalidArgument, "\(path): an image of \(nx) columns is not \(factor)× oversampled as the geometry says")
        }
        let width = nx / factor, first = nx / 2 - width / 2
        var cropped = [Float](repeating: 0, count: ny * width * channels)
        for y in 0..<ny {
            cropped.replaceSubrange((y * width * channels)..<((y + 1) * width * channels),
                                    with: values[((y * nx + first) * channels)..<((y * nx + first + width) * channels)])
        }
        if let shape, shape != (ny, width) {
            throw MRIError(.invalidArgument, "\(path): slice \(index) is \(ny) × \(nx), earlier ones \(shape.ny) × \(shape.nx * factor)")
        }
        images[index] = cropped
        shape = (ny, width)
    }

    public func commit() throws {
        guard let (ny, nx) = shape, images.allSatisfy({ $0 != nil }) else {
            throw MRIError(.invalidArgument, "\(path): not every slice was reconstructed")
        }
        let (order, frames, affine) = try layout(ny: ny, nx: nx)
        var values: [Float] = []
        values.reserveCapacity(slices * ny * nx)
        for frame in 0..<frames { for position in order { values += images[position[frame]]! } }
        let dims = frames > 1 ? [nx, ny, order.count, frames] : [nx, ny, order.count]
        let complex = combiner.complex != nil
        try NiftiFile.write(values, dims: dims, affine: affine, complex: complex,
                            description: "MetaGRAPPA coil-combined \(complex ? "complex" : "magnitude") (\(combiner.name))", to: path)
    }

    /// Per stacked position (in order along the normal), the slice indices of its frames; the
    /// frame count; the affine (RAS).
    private func layout(ny: Int, nx: Int) throws -> (order: [[Int]], frames: Int, affine: [[Double]]) {
        guard let geometry else {
            return ((0..<slices).map { [$0] }, 1, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
        }
        let first = geometry.slices[0]
        for (i, s) in geometry.slices.enumerated() {
            guard simd_distance(s.read, first.read) < 1e-3, simd_distance(s.phase, first.phase) < 1e-3 else {
                throw MRIError(.invalidArgument, "\(path): slice \(i) is oriented differently from slice 0: one NIfTI image cannot hold both (write k-space, or choose a slice with --slice)")
            }
        }
        // Positions along the normal; slices within 1 µm of each other are frames of one position.
        var positions: [(depth: Double, slices: [Int])] = []
        for (i, s) in geometry.slices.enumerated() {
            let depth = (s.centre * first.normal).sum()
            if let p = positions.firstIndex(where: { abs($0.depth - depth) < 1e-3 && simd_distance(geometry.slices[$0.slices[0]].centre, s.centre) < 1e-3 }) {
                positions[p].slices.append(i)
            } else {
                positions.append((depth, [i]))
            }
        }
        positions.sort { $0.depth < $1.depth }
        let frames = positions[0].slices.count
        guard positions.allSatisfy({ $0.slices.count == frames }) else {
            throw MRIError(.invalidArgument, "\(path): slice positions hold different numbers of frames: one NIfTI image cannot hold them")
        }
        let centres = positions.map { geometry.slices[$0.slices[0]].centre }
        var step = first.normal * geometry.sliceThickness
        if centres.count > 1 {
            step = (centres.last! - centres[0]) / Double(centres.count - 1)
            for i in 1..<centres.count where simd_distance(centres[i] - centres[i - 1], step) > max(0.01, 0.01 * simd_length(step)) {
                throw MRIError(.invalidArgument, "\(path): slices are not equally spaced (\(simd_length(centres[i] - centres[i - 1])) mm after slice position \(i - 1), \(simd_length(step)) mm on average): one NIfTI image cannot hold them")
            }
        }
        let dx = geometry.readoutFOV / Double(nx), dy = geometry.phaseFOV / Double(ny)
        let origin = centres[0] - Double(nx / 2) * dx * first.read - Double(ny / 2) * dy * first.phase
        // LPS to RAS: x and y change sign.
        let ras = SIMD3<Double>(-1, -1, 1)
        let columns = [first.read * dx * ras, first.phase * dy * ras, step * ras, origin * ras]
        let affine = (0..<3).map { r in columns.map { $0[r] } }
        return (positions.map(\.slices), frames, affine)
    }
}

private func simd_distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { simd_length(a - b) }
private func simd_length(_ a: SIMD3<Double>) -> Double { (a * a).sum().squareRoot() }

/// How a slice's k-space becomes one magnitude image `[ny, nx]`, and its name for the file.
public struct ImageCombiner: Sendable {
    public let name: String
    public let combine: @Sendable (KSpace) throws -> RealImage
    /// The complex image `[ny · nx]`, where an image output should keep the phase.
    public let complex: (@Sendable (KSpace) throws -> [Complex<Float>])?

    public init(name: String, combine: @escaping @Sendable (KSpace) throws -> RealImage,
                complex: (@Sendable (KSpace) throws -> [Complex<Float>])? = nil) {
        self.name = name
        self.combine = combine
        self.complex = complex
    }

    /// The root-sum-of-squares of the coil images.
    public static let rootSumOfSquares = ImageCombiner(name: "RSS") { CenteredFFT.rssImage(of: $0) }
}

import MRICore

extension RealImage {
    /// `images` (one shape) tiled row by row into a near-square grid, ⌈√n⌉ columns, empty
    /// tiles zero: one picture of a volume's slices.
    public static func montage(_ images: [RealImage]) -> RealImage {
        precondition(!images.isEmpty && images.allSatisfy { $0.ny == images[0].ny && $0.nx == images[0].nx }, "one shape")
        guard images.count > 1 else { return images[0] }
        let (ny, nx) = (images[0].ny, images[0].nx)
        var columns = 1
        while columns * columns < images.count { columns += 1 }
        let rows = (images.count + columns - 1) / columns
        var pixels = [Float](repeating: 0, count: rows * ny * columns * nx)
        for (i, image) in images.enumerated() {
            let (top, left) = (i / columns * ny, i % columns * nx)
            for y in 0..<ny { for x in 0..<nx { pixels[(top + y) * columns * nx + left + x] = image.pixels[y * nx + x] } }
        }
        return RealImage(ny: rows * ny, nx: columns * nx, pixels: pixels)
    }
}

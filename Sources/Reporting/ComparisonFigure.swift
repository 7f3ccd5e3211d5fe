import MRICore

/// The comparison figure of a reconstruction study (the layout of Lee & Ye's Figure 2):
/// one row per image, the RSS magnitude on the left and its error against the reference,
/// amplified by a stated factor, on the right, all on the reference's grey scale, each
/// row headed by a text label. Rows are displayed as stored: k-space row 0 at the top.
public enum ComparisonFigure {
    /// One row: a label, an image, and (except for the reference) its absolute error.
    public struct Row {
        public let label: String
        public let image: RealImage
        public let error: RealImage?

        public init(label: String, image: RealImage, error: RealImage?) {
            self.label = label
            self.image = image
            self.error = error
        }
    }

    /// Pixel bounds `(rows, columns)` of where `reference` exceeds `fraction` of its
    /// maximum, widened by `margin`; the whole image if nothing does.
    public static func objectBounds(_ reference: RealImage, fraction: Float = 0.1, margin: Int = 4) -> (Range<Int>, Range<Int>) {
        let threshold = (reference.pixels.max() ?? 0) * fraction
        var y0 = reference.ny, y1 = -1, x0 = reference.nx, x1 = -1
        for y in 0..<reference.ny {
            for x in 0..<reference.nx where reference[y, x] > threshold {
                y0 = min(y0, y); y1 = max(y1, y); x0 = min(x0, x); x1 = max(x1, x)
            }
        }
        guard y1 >= 0 else { return (0..<reference.ny, 0..<reference.nx) }
        return (max(0, y0 - margin)..<min(reference.ny, y1 + margin + 1), max(0, x0 - margin)..<min(reference.nx, x1 + margin + 1))
    }

    /// Renders the rows. `window` is the grey scale's top (grey 255); errors are multiplied
    /// by `errorScale` before display; `crop` limits all images to those bounds. Small images
    /// are enlarged by an integer factor so that labels fit.
    public static func render(_ rows: [Row], window: Float, errorScale: Float,
                              crop: (Range<Int>, Range<Int>)? = nil) -> Bitmap {
        let first = rows[0].image
        let (ys, xs) = crop ?? (0..<first.ny, 0..<first.nx)
        let zoom = max(1, 240 / max(xs.count, 1))
        let tileW = xs.count * zoom, tileH = ys.count * zoom
        let gap = 6, labelH = 2 * BitmapFont.height + 8
        let width = 2 * tileW + 3 * gap
        var out = Bitmap(width: width, height: rows.count * (labelH + tileH + gap) + gap)
        func blit(_ image: RealImage, scale: Float, at x0: Int, _ y0: Int) {
            for (ty, y) in ys.enumerated() {
                for (tx, x) in xs.enumerated() {
                    let v = image[y, x] * scale / window * 255
                    let grey = UInt8(max(0, min(255, v.isFinite ? v.rounded() : 0)))
                    for dy in 0..<zoom {
                        for dx in 0..<zoom {
                            out.samples[(y0 + ty * zoom + dy) * out.width + x0 + tx * zoom + dx] = grey
                        }
                    }
                }
            }
        }
        for (i, row) in rows.enumerated() {
            let top = gap + i * (labelH + tileH + gap)
            BitmapFont.draw(row.label, into: &out, x: gap, y: top + 2, scale: 2)
            blit(row.image, scale: 1, at: gap, top + labelH)
            if let error = row.error {
                blit(error, scale: errorScale, at: 2 * gap + tileW, top + labelH)
            } else {
                let note = "ERROR X\(Int(errorScale))"
                BitmapFont.draw(note, into: &out, x: 2 * gap + tileW + 4, y: top + labelH + tileH / 2, scale: 2, ink: 160)
            }
        }
        return out
    }

    /// `|a − b|` pixel by pixel.
    public static func absoluteError(_ a: RealImage, _ b: RealImage) -> RealImage {
        RealImage(ny: a.ny, nx: a.nx, pixels: zip(a.pixels, b.pixels).map { abs($0 - $1) })
    }
}

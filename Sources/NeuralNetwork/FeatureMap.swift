/// A real-valued stack of 2-D feature maps `[channels, height, width]`, row-major.
///
/// `width` is the row stride; only columns `0..<validWidth` hold meaningful values.
/// Convolutions compute whole rows (see ``Conv2D``), and the columns past `validWidth`
/// hold values that never reach a valid output.
public struct FeatureMap: Sendable, Equatable {
    /// Number of channels.
    public let channels: Int
    /// Rows per channel.
    public let height: Int
    /// Row stride.
    public let width: Int
    /// Columns holding meaningful values (`≤ width`).
    public let validWidth: Int
    /// `channels · height · width` values.
    public var data: [Float]

    /// A zero feature map.
    public init(channels: Int, height: Int, width: Int, validWidth: Int? = nil) {
        precondition(channels > 0 && height > 0 && width > 0, "feature map dimensions must be positive")
        self.channels = channels
        self.height = height
        self.width = width
        self.validWidth = validWidth ?? width
        data = [Float](repeating: 0, count: channels * height * width)
    }

    /// Number of values.
    public var count: Int { channels * height * width }

    /// Value at channel `c`, row `y`, column `x`.
    @inlinable
    public subscript(c: Int, y: Int, x: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }
}

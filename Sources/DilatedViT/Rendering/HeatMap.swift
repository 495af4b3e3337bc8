/// A grid of values in [0, 1] (e.g. per-patch relevance, or accuracy per position), drawn
/// through a colour map at any pixel size.
package struct HeatMap: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// `rows × columns`, row-major; drawn clamped to [0, 1].
    public var values: [Float]

    /// How cells fill the pixels between their centres.
    public enum Interpolation: Sendable {
        /// Smooth: bilinear between cell centres, constant past the outer centres.
        case bilinear
        /// Blocky: every pixel takes its cell's value (for tables of discrete cells).
        case nearest
    }

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows > 0 && columns > 0 && values.count == rows * columns,
                     "HeatMap: \(values.count) values for \(rows)×\(columns) cells")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Float { values[row * columns + column] }

    /// The value at pixel `(x, y)` of a `width × height` rendering, sampled at the pixel's centre.
    public func value(x: Int, y: Int, width: Int, height: Int, interpolation: Interpolation = .bilinear) -> Float {
        // Pixel centre in cell units, where cell i spans [i, i + 1).
        let u = (Double(x) + 0.5) * Double(columns) / Double(width)
        let v = (Double(y) + 0.5) * Double(rows) / Double(height)
        switch interpolation {
        case .nearest:
            return self[min(rows - 1, Int(v)), min(columns - 1, Int(u))]
        case .bilinear:
            let (c0, c1, fx) = Self.neighbours(u - 0.5, count: columns)
            let (r0, r1, fy) = Self.neighbours(v - 0.5, count: rows)
            let top = self[r0, c0] * (1 - fx) + self[r0, c1] * fx
            let bottom = self[r1, c0] * (1 - fx) + self[r1, c1] * fx
            return top * (1 - fy) + bottom * fy
        }
    }

    /// The heat map alone, `width × height`.
    public func rendered(width: Int, height: Int, colorMap: ColorMap = .inferno,
                         interpolation: Interpolation = .bilinear) -> RGBImage {
        precondition(width > 0 && height > 0)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let color = colorMap.color(at: value(x: x, y: y, width: width, height: height,
                                                     interpolation: interpolation))
                let i = (y * width + x) * 3
                pixels[i] = color.red; pixels[i + 1] = color.green; pixels[i + 2] = color.blue
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// `image` with the heat map laid over it: `alpha·heat + (1 − alpha)·photo` per channel,
    /// so `alpha` 0 gives the photo back and 1 the heat map alone. The grid is stretched
    /// over the whole image, matching how the photo was resized to its patch grid.
    public func blended(over image: RGBImage, alpha: Float, colorMap: ColorMap = .inferno,
                        interpolation: Interpolation = .bilinear) -> RGBImage {
        precondition((0...1).contains(alpha), "HeatMap: alpha \(alpha) outside [0, 1]")
        let heat = rendered(width: image.width, height: image.height, colorMap: colorMap, interpolation: interpolation)
        var out = image
        for i in out.pixels.indices {
            let mixed = alpha * Float(heat.pixels[i]) + (1 - alpha) * Float(image.pixels[i])
            out.pixels[i] = UInt8(min(255, mixed.rounded()))
        }
        return out
    }

    /// The two cells around coordinate `position` (in cell-centre units) and the weight of the second.
    private static func neighbours(_ position: Double, count: Int) -> (Int, Int, Float) {
        let clamped = min(max(position, 0), Double(count - 1))
        let lower = Int(clamped)
        return (lower, min(lower + 1, count - 1), Float(clamped - Double(lower)))
    }
}

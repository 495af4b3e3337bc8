extension RGBImage {
    /// Paints `rect` (clipped to the image) with `color`.
    package mutating func fill(_ rect: PixelRect, with color: RGBColor) {
        let x0 = max(0, rect.x), x1 = min(width, rect.x + rect.width)
        let y0 = max(0, rect.y), y1 = min(height, rect.y + rect.height)
        guard x0 < x1 && y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 { setPixel(x: x, y: y, color) }
        }
    }

    /// The box `drawLabel` fills for `text` at `scale` (font pixels → image pixels).
    public static func labelSize(of text: String, scale: Int) -> (width: Int, height: Int) {
        let padding = 2 * scale
        return (BitmapFont.width(of: text) * scale + 2 * padding, BitmapFont.glyphHeight * scale + 2 * padding)
    }

    /// Writes `text` with the built-in 5×7 font, each font pixel a `scale × scale` square, on
    /// a solid box (readable over any photo) whose top-left corner is `(x, y)`. Returns the
    /// box, clipped to the image: nothing outside it changes.
    @discardableResult
    package mutating func drawLabel(_ text: String, x: Int, y: Int, scale: Int = 2,
                                   color: RGBColor = .white,
                                   background: RGBColor = RGBColor(red: 20, green: 20, blue: 20)) -> PixelRect {
        precondition(scale > 0, "drawLabel: scale must be positive")
        let size = Self.labelSize(of: text, scale: scale)
        let box = PixelRect(x: x, y: y, width: size.width, height: size.height)
        fill(box, with: background)
        let padding = 2 * scale
        for (index, character) in text.enumerated() {
            let left = x + padding + index * (BitmapFont.glyphWidth + BitmapFont.spacing) * scale
            for (row, bits) in BitmapFont.glyph(for: character).enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                    fill(PixelRect(x: left + column * scale, y: y + padding + row * scale, width: scale, height: scale),
                         with: color)
                }
            }
        }
        let x0 = max(0, x), y0 = max(0, y)
        return PixelRect(x: x0, y: y0, width: max(0, min(width, x + size.width) - x0),
                         height: max(0, min(height, y + size.height) - y0))
    }

    @inline(__always) private mutating func setPixel(x: Int, y: Int, _ color: RGBColor) {
        let i = (y * width + x) * 3
        pixels[i] = color.red; pixels[i + 1] = color.green; pixels[i + 2] = color.blue
    }
}

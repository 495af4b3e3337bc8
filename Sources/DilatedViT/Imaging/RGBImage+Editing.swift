/// A pixel rectangle inside an image.
package struct PixelRect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Int { width * height }
    public var description: String { "\(width)×\(height) at (\(x), \(y))" }
}

/// The building blocks of augmentation: small, exact operations on 8-bit RGB. Colour
/// operations work in place (through a 256-entry table where the mapping is per byte), with
/// no allocation per pixel; results round to the nearest byte and clamp to 0...255.
extension RGBImage {
    /// The pixels of `rect`, which must lie inside the image.
    package func cropped(to rect: PixelRect) -> RGBImage {
        precondition(rect.x >= 0 && rect.y >= 0 && rect.width > 0 && rect.height > 0
                     && rect.x + rect.width <= width && rect.y + rect.height <= height,
                     "crop \(rect) outside \(width)×\(height)")
        if rect == PixelRect(x: 0, y: 0, width: width, height: height) { return self }
        var out = [UInt8](repeating: 0, count: rect.area * 3)
        let rowBytes = rect.width * 3
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<rect.height {
                    let from = ((rect.y + row) * width + rect.x) * 3
                    let to = row * rowBytes
                    UnsafeMutableRawPointer(dst.baseAddress! + to)
                        .copyMemory(from: src.baseAddress! + from, byteCount: rowBytes)
                }
            }
        }
        return RGBImage(width: rect.width, height: rect.height, pixels: out)
    }

    /// Mirrors left and right.
    public mutating func flipHorizontally() {
        let width = width, height = height
        pixels.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                var left = y * width * 3, right = left + (width - 1) * 3
                while left < right {
                    for c in 0..<3 { p.swapAt(left + c, right + c) }
                    left += 3
                    right -= 3
                }
            }
        }
    }

    public func flippedHorizontally() -> RGBImage {
        var copy = self
        copy.flipHorizontally()
        return copy
    }

    /// Multiplies every channel by `factor` (torchvision's `adjust_brightness`).
    public mutating func adjustBrightness(by factor: Float) {
        guard factor != 1 else { return }
        applyTable { Float($0) * factor }
    }

    /// Blends each channel with the mean luma: `factor·v + (1 − factor)·mean`
    /// (torchvision's `adjust_contrast`); 0 gives a flat grey image.
    public mutating func adjustContrast(by factor: Float) {
        guard factor != 1, !pixels.isEmpty else { return }
        var sum: Float = 0
        pixels.withUnsafeBufferPointer { p in
            // Row sums first keep the float error small on large images.
            for y in 0..<height {
                var row: Float = 0
                var i = y * width * 3
                for _ in 0..<width {
                    row += Self.luma(p[i], p[i + 1], p[i + 2])
                    i += 3
                }
                sum += row
            }
        }
        let offset = (1 - factor) * sum / Float(width * height)
        applyTable { factor * Float($0) + offset }
    }

    /// Blends each pixel with its own luma: `factor·c + (1 − factor)·luma`
    /// (torchvision's `adjust_saturation`); 0 gives greyscale.
    public mutating func adjustSaturation(by factor: Float) {
        guard factor != 1 else { return }
        pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count {
                let grey = (1 - factor) * Self.luma(p[i], p[i + 1], p[i + 2])
                for c in 0..<3 { p[i + c] = Self.clampedByte(factor * Float(p[i + c]) + grey) }
                i += 3
            }
        }
    }

    /// Uniform per-pixel RGB noise, eight bytes per draw of `generator`.
    package static func noise(width: Int, height: Int, using generator: inout SplitMix64) -> RGBImage {
        var image = RGBImage(width: width, height: height, filledWith: (0, 0, 0))
        image.erase(PixelRect(x: 0, y: 0, width: width, height: height), using: &generator)
        return image
    }

    /// Copies `photo` unchanged onto this image, its top-left pixel at `(x, y)`.
    package mutating func paste(_ photo: RGBImage, x: Int, y: Int) {
        precondition(x >= 0 && y >= 0 && x + photo.width <= width && y + photo.height <= height,
                     "RGBImage: \(photo.width)×\(photo.height) at (\(x), \(y)) leaves the \(width)×\(height) image")
        let rowBytes = photo.width * 3
        for row in 0..<photo.height {
            let source = row * rowBytes, target = ((y + row) * width + x) * 3
            pixels.replaceSubrange(target..<(target + rowBytes), with: photo.pixels[source..<(source + rowBytes)])
        }
    }

    /// Fills `rect` with uniformly random bytes (random erasing / cutout).
    package mutating func erase(_ rect: PixelRect, using generator: inout SplitMix64) {
        let width = width
        pixels.withUnsafeMutableBufferPointer { p in
            for y in rect.y..<(rect.y + rect.height) {
                var i = (y * width + rect.x) * 3
                let end = i + rect.width * 3
                // Eight bytes per draw.
                while i < end {
                    var bits = generator.next()
                    for _ in 0..<min(8, end - i) {
                        p[i] = UInt8(truncatingIfNeeded: bits)
                        bits >>= 8
                        i += 1
                    }
                }
            }
        }
    }

    /// ITU-R BT.601 luma, as torchvision's `rgb_to_grayscale`.
    @inline(__always) static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Float {
        0.299 * Float(r) + 0.587 * Float(g) + 0.114 * Float(b)
    }

    @inline(__always) static func clampedByte(_ value: Float) -> UInt8 {
        UInt8(max(0, min(255, value.rounded())))
    }

    /// Maps every byte through `transform`, tabulated once.
    private mutating func applyTable(_ transform: (UInt8) -> Float) {
        var table = [UInt8](repeating: 0, count: 256)
        for v in 0..<256 { table[v] = Self.clampedByte(transform(UInt8(v))) }
        table.withUnsafeBufferPointer { t in
            pixels.withUnsafeMutableBufferPointer { p in
                for i in p.indices { p[i] = t[Int(p[i])] }
            }
        }
    }
}

extension RGBImage {
    /// The image as it is meant to be displayed under `orientation`: exact pixel moves
    /// (mirror, 90°/180°/270° rotation, transpose or transverse), no resampling.
    package func applying(_ orientation: ExifOrientation) -> RGBImage {
        if orientation == .up || width == 0 || height == 0 { return self }
        let (outWidth, outHeight) = orientation.swapsDimensions ? (height, width) : (width, height)
        // Output pixel (x, y) reads source pixel start + x·stepX + y·stepY (in pixels).
        let w = width, h = height
        let (start, stepX, stepY): (Int, Int, Int) = switch orientation {
        case .up: (0, 1, w)
        case .upMirrored: (w - 1, -1, w)
        case .down: ((h - 1) * w + w - 1, -1, -w)
        case .downMirrored: ((h - 1) * w, 1, -w)
        case .leftMirrored: (0, w, 1)
        case .right: ((h - 1) * w, -w, 1)
        case .rightMirrored: ((h - 1) * w + w - 1, -w, -1)
        case .left: (w - 1, w, -1)
        }
        let count = pixels.count
        let output = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            pixels.withUnsafeBufferPointer { source in
                var o = 0
                for y in 0..<outHeight {
                    var s = start + y * stepY
                    for _ in 0..<outWidth {
                        buffer[o] = source[3 * s]
                        buffer[o + 1] = source[3 * s + 1]
                        buffer[o + 2] = source[3 * s + 2]
                        o += 3
                        s += stepX
                    }
                }
            }
            initialized = count
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: output)
    }
}

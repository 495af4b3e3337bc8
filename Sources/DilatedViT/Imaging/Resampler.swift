/// Separable resampling of an `RGBImage`.
///
/// Downscaling uses an **area average** (box filter with fractional coverage): each output
/// pixel is the exact mean of the source area it covers, which removes aliasing without
/// ringing. Upscaling (per axis) uses **bilinear** interpolation at pixel centres. Results are
/// rounded to the nearest 8-bit value.
public enum Resampler {
    /// `width × height` scaled, aspect kept, so that its long side is `longSide` (each side
    /// rounded, at least 1).
    public static func fittedSize(width: Int, height: Int, longSide: Int) -> (width: Int, height: Int) {
        precondition(width > 0 && height > 0 && longSide > 0)
        let scale = Double(longSide) / Double(max(width, height))
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }

    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        resize(image, width: width, height: height,
               coveredWidth: Double(image.width), coveredHeight: Double(image.height))
    }

    /// Resizes the top-left `coveredWidth × coveredHeight` region of `image`, which may end
    /// part-way through the last column or row. libjpeg's 1/n scaled decode of a side that is
    /// not a multiple of n ends in such a partial pixel: mapping the full ⌈side/n⌉ pixels
    /// would stretch the photo by up to n − 1 source pixels.
    static func resize(_ image: RGBImage, width: Int, height: Int,
                       coveredWidth: Double, coveredHeight: Double) -> RGBImage {
        precondition(width > 0 && height > 0 && image.width > 0 && image.height > 0)
        precondition(coveredWidth <= Double(image.width) && coveredHeight <= Double(image.height))
        if width == image.width && height == image.height
            && coveredWidth == Double(width) && coveredHeight == Double(height) { return image }
        let horizontal = AxisWeights(source: image.width, extent: coveredWidth, target: width)
        let vertical = AxisWeights(source: image.height, extent: coveredHeight, target: height)
        // Horizontal pass into floats (source rows × target columns), then vertical.
        var rowsPass = [Float](repeating: 0, count: image.height * width * 3)
        image.pixels.withUnsafeBufferPointer { src in
            rowsPass.withUnsafeMutableBufferPointer { dst in
                for y in 0..<image.height {
                    let srcRow = y * image.width * 3, dstRow = y * width * 3
                    for x in 0..<width {
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        let first = horizontal.first[x]
                        for (i, w) in horizontal.weights[x].enumerated() {
                            let s = srcRow + (first + i) * 3
                            r += w * Float(src[s]); g += w * Float(src[s + 1]); b += w * Float(src[s + 2])
                        }
                        let d = dstRow + x * 3
                        dst[d] = r; dst[d + 1] = g; dst[d + 2] = b
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        rowsPass.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let rowLength = width * 3
                var accumulator = [Float](repeating: 0, count: rowLength)
                for y in 0..<height {
                    for i in 0..<rowLength { accumulator[i] = 0 }
                    let first = vertical.first[y]
                    for (j, w) in vertical.weights[y].enumerated() {
                        let s = (first + j) * rowLength
                        for i in 0..<rowLength { accumulator[i] += w * src[s + i] }
                    }
                    let d = y * rowLength
                    for i in 0..<rowLength {
                        dst[d + i] = UInt8(max(0, min(255, accumulator[i].rounded())))
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

/// For each target index along one axis: the first source index it reads and the weights of
/// the consecutive source samples from there (summing to 1). The target spans source
/// coordinates `[0, extent)`, `extent ≤ source`.
struct AxisWeights {
    var first: [Int]
    var weights: [[Float]]

    init(source: Int, extent: Double, target: Int) {
        first = []
        weights = []
        first.reserveCapacity(target)
        weights.reserveCapacity(target)
        let scale = extent / Double(target)
        for t in 0..<target {
            if scale >= 1 {
                // Area average over the source interval [t·scale, (t+1)·scale).
                let start = Double(t) * scale, end = Double(t + 1) * scale
                let firstIndex = min(source - 1, Int(start))
                let lastIndex = max(firstIndex, min(source - 1, Int((end - 1e-9).rounded(.down))))
                var row = [Float]()
                for s in firstIndex...lastIndex {
                    let covered = min(end, Double(s + 1)) - max(start, Double(s))
                    row.append(Float(covered / scale))
                }
                first.append(firstIndex)
                weights.append(row)
            } else {
                // Bilinear at the target pixel centre mapped into source coordinates.
                let centre = (Double(t) + 0.5) * scale - 0.5
                let clamped = min(max(centre, 0), min(Double(source - 1), extent - 0.5))
                let lower = Int(clamped.rounded(.down))
                let fraction = Float(clamped - Double(lower))
                if lower + 1 < source && fraction > 0 {
                    first.append(lower)
                    weights.append([1 - fraction, fraction])
                } else {
                    first.append(lower)
                    weights.append([1])
                }
            }
        }
    }
}

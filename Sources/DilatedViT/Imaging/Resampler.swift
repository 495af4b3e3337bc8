/// Separable resampling of an `RGBImage`.
///
/// Downscaling uses an **area average** (box filter with fractional coverage): each output
/// pixel is the exact mean of the source area it covers, which removes aliasing without
/// ringing. Upscaling (per axis) uses **bilinear** interpolation at pixel centres. Results are
/// rounded to the nearest 8-bit value.
package enum Resampler {
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
                    resampleLine(src.baseAddress! + y * image.width * 3, step: 3, horizontal,
                                 into: dst.baseAddress! + y * width * 3)
                }
            }
        }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        rowsPass.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let rowLength = width * 3
                var accumulator = [Float](repeating: 0, count: rowLength)
                accumulator.withUnsafeMutableBufferPointer { accumulator in
                    for y in 0..<height {
                        foldLines(vertical, target: y, length: rowLength, into: accumulator.baseAddress!) {
                            src.baseAddress! + $0 * rowLength
                        }
                        storeRounded(accumulator.baseAddress!, count: rowLength,
                                     into: dst.baseAddress! + y * rowLength)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

// The arithmetic shared by `resize` and `StreamingResampler`: both must add the same
// products in the same order, so both call these (bit-identical results depend on it).
extension Resampler {
    /// Resamples one line of RGB8 pixels along `weights`' axis into `weights.count` RGB
    /// floats. Source sample `i` is at `line + i·step` (`step` is ±3 along a row, ±row
    /// length down a column), so mirrored and transposed lines need no copy.
    @inline(__always)
    static func resampleLine(_ line: UnsafePointer<UInt8>, step: Int, _ weights: AxisWeights,
                             into output: UnsafeMutablePointer<Float>) {
        for x in 0..<weights.count {
            let (r, g, b) = resampleSample(line + weights.first[x] * step, step: step, weights, target: x)
            output[3 * x] = r; output[3 * x + 1] = g; output[3 * x + 2] = b
        }
    }

    /// Target `target` of `resampleLine`: Σ wᵢ·sᵢ per channel, in ascending source order,
    /// `start` pointing at the target's first source sample.
    @inline(__always)
    static func resampleSample(_ start: UnsafePointer<UInt8>, step: Int, _ weights: AxisWeights,
                               target: Int) -> (Float, Float, Float) {
        var r: Float = 0, g: Float = 0, b: Float = 0
        weights.weights[target].withUnsafeBufferPointer { taps in
            var s = start
            for w in taps {
                r += w * Float(s[0]); g += w * Float(s[1]); b += w * Float(s[2])
                s += step
            }
        }
        return (r, g, b)
    }

    /// `accumulator[0..<length]` = Σⱼ wⱼ·line(first + j), over `target`'s source lines in
    /// ascending order, each `line(i)` holding `length` floats.
    @inline(__always)
    static func foldLines(_ weights: AxisWeights, target: Int, length: Int,
                          into accumulator: UnsafeMutablePointer<Float>,
                          line: (Int) -> UnsafePointer<Float>) {
        accumulator.update(repeating: 0, count: length)
        let first = weights.first[target]
        for (j, w) in weights.weights[target].enumerated() {
            let source = line(first + j)
            for i in 0..<length { accumulator[i] += w * source[i] }
        }
    }

    /// Rounds to the nearest 8-bit value, clamped.
    @inline(__always)
    static func storeRounded(_ values: UnsafePointer<Float>, count: Int,
                             into output: UnsafeMutablePointer<UInt8>) {
        for i in 0..<count { output[i] = UInt8(max(0, min(255, values[i].rounded()))) }
    }
}

/// For each target index along one axis: the first source index it reads and the weights of
/// the consecutive source samples from there (summing to 1). The target spans source
/// coordinates `[0, extent)`, `extent ≤ source`.
struct AxisWeights {
    var first: [Int]
    var weights: [[Float]]

    /// Number of targets.
    package var count: Int { first.count }
    /// The last source index target `t` reads.
    func last(_ t: Int) -> Int { first[t] + weights[t].count - 1 }

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

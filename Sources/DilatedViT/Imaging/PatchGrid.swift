/// A photo cut into `rows × columns` non-overlapping `patchSize × patchSize` patches,
/// normalised and laid out for the patch embedding.
///
/// Token `t = y·columns + x` (row-major). Each token holds `3·p·p` floats in
/// `(channel, row-in-patch, column-in-patch)` order — the flattening of a PyTorch
/// `Conv2d(3, D, kernel: p, stride: p)` weight of shape `(D, 3, p, p)`, so the embedding is
/// one matrix product `values (N × 3p²) · Wᵀ (3p² × D)`.
public struct PatchGrid: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public let patchSize: Int
    /// `tokenCount × featuresPerToken` floats.
    public var values: [Float]

    public var tokenCount: Int { rows * columns }
    public var featuresPerToken: Int { 3 * patchSize * patchSize }

    /// The size of `values` for a grid of `resolution` (saturating, for memory estimates).
    static func byteCount(for resolution: WorkingResolution) -> Int {
        resolution.tokenCount.saturatingProduct(3 * resolution.patchSize * resolution.patchSize)
            .saturatingProduct(MemoryLayout<Float>.stride)
    }

    /// The grid of rows `range` only.
    public func rows(_ range: Range<Int>) -> PatchGrid {
        precondition(!range.isEmpty && range.clamped(to: 0..<rows) == range)
        let width = columns * featuresPerToken
        return PatchGrid(rows: range.count, columns: columns, patchSize: patchSize,
                         values: Array(values[range.lowerBound * width..<range.upperBound * width]))
    }

    public init(rows: Int, columns: Int, patchSize: Int, values: [Float]) {
        precondition(rows > 0 && columns > 0 && patchSize > 0)
        precondition(values.count == rows * columns * 3 * patchSize * patchSize,
                     "PatchGrid: \(values.count) values do not fill \(rows)×\(columns) patches of \(patchSize)")
        self.rows = rows
        self.columns = columns
        self.patchSize = patchSize
        self.values = values
    }

    /// Cuts `image` (whose sides must be multiples of `patchSize`) into patches, mapping each
    /// channel value `v` to `(v/255 − mean[c]) / std[c]`.
    public init(image: RGBImage, patchSize p: Int,
                mean: [Float] = [0.5, 0.5, 0.5], std: [Float] = [0.5, 0.5, 0.5]) {
        precondition(image.width % p == 0 && image.height % p == 0 && image.width > 0 && image.height > 0,
                     "PatchGrid: \(image.width)×\(image.height) is not a multiple of patch \(p)")
        precondition(mean.count == 3 && std.count == 3)
        let rows = image.height / p, columns = image.width / p
        let features = 3 * p * p
        // One lookup table per channel: 256 entries instead of a divide per sample.
        let tables: [[Float]] = (0..<3).map { c in
            (0..<256).map { (Float($0) / 255 - mean[c]) / std[c] }
        }
        var values = [Float](repeating: 0, count: rows * columns * features)
        values.withUnsafeMutableBufferPointer { out in
            image.pixels.withUnsafeBufferPointer { src in
                for gy in 0..<rows {
                    for gx in 0..<columns {
                        let base = (gy * columns + gx) * features
                        for py in 0..<p {
                            let rowStart = ((gy * p + py) * image.width + gx * p) * 3
                            for px in 0..<p {
                                let s = rowStart + px * 3
                                for c in 0..<3 {
                                    out[base + c * p * p + py * p + px] = tables[c][Int(src[s + c])]
                                }
                            }
                        }
                    }
                }
            }
        }
        self.init(rows: rows, columns: columns, patchSize: p, values: values)
    }
}

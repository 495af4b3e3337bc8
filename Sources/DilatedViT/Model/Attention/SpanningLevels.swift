import Foundation

/// The levels of a grid whose segments outgrow an attention band (Model v2's `to_grid`
/// levels, MODEL.md §9.1), attended for inference once per block before the bands stream.
///
/// Why apart. At such a level a head attends only among the tokens of its sub-lattice
/// (`y ≡ oy, x ≡ ox mod r`: a `1/r²` share of the grid), so those tokens' q/k/v are gathered
/// from the block's input and attended on their own — a few percent of the block's work —
/// and each band then merges the results into its tokens' outputs. Treating the level like
/// the others would make the whole grid one band, with q/k/v for every token at once (2.3 GB
/// more at a million tokens). The merge is exact: the merged output is one softmax over the
/// union of every level's keys (MODEL.md §5), so a band's output with its log-sum-exp and
/// a lattice's output with its own combine as two parts of that softmax.
final class SpanningLevels {
    private struct Lattice {
        let windows: DilatedWindows
        let head: Int
        /// First row of this lattice's results in `outputs` and `logSumExp`.
        let start: Int
        var count: Int { windows.latticeRows * windows.latticeColumns }
    }

    private let lattices: [Lattice]
    private let heads: Int
    private let headDimension: Int
    private let gridColumns: Int
    /// Each lattice point's output for its head (`dh` floats) and log-sum-exp.
    private let outputs: UnsafeMutablePointer<Float>
    private let logSumExp: UnsafeMutablePointer<Float>
    /// Gathered rows of the largest lattice: LN1 (`D` wide), then q/k/v (`3D`).
    private let normalised: UnsafeMutablePointer<Float>
    private let qkv: UnsafeMutablePointer<Float>
    private let buffers = FloatBuffers()

    /// Nil when no level spans more than a band.
    init?(levels: [AttentionLevel], heads: Int, headDimension: Int, gridRows: Int, gridColumns: Int) {
        guard !levels.isEmpty else { return nil }
        var lattices: [Lattice] = [], total = 0
        for level in levels {
            for head in 0..<heads {
                let windows = DilatedWindows(level: level, head: head, gridRows: gridRows, gridColumns: gridColumns)
                guard windows.count > 0 else { continue }
                lattices.append(Lattice(windows: windows, head: head, start: total))
                total += lattices.last!.count
            }
        }
        self.lattices = lattices
        self.heads = heads
        self.headDimension = headDimension
        self.gridColumns = gridColumns
        let largest = lattices.map(\.count).max() ?? 0, d = heads * headDimension
        outputs = buffers.take(total * headDimension)
        logSumExp = buffers.take(total)
        normalised = buffers.take(largest * d)
        qkv = buffers.take(largest * 3 * d)
    }

    /// Floats held for a grid (the estimate of `DilatedViTModel.estimatedForwardBytes`).
    static func floatCount(levels: [AttentionLevel], heads: Int, headDimension: Int, gridRows: Int,
                           gridColumns: Int) -> Int {
        var total = 0, largest = 0
        for level in levels {
            for head in 0..<heads {
                let windows = DilatedWindows(level: level, head: head, gridRows: gridRows, gridColumns: gridColumns)
                let count = windows.latticeRows.saturatingProduct(windows.latticeColumns)
                total = total.saturatingSum(count)
                largest = max(largest, count)
            }
        }
        return total.saturatingProduct(headDimension + 1).saturatingSum(largest.saturatingProduct(4 * heads * headDimension))
    }

    /// Attends every lattice from `residual`, the block's input (`N × D`), through the
    /// block's LN1 and QKV.
    func attend(residual: UnsafePointer<Float>, norm: NormWeights, qkv layer: Linear, epsilon: Float) {
        let d = heads * headDimension, dh = headDimension
        for lattice in lattices {
            let w = lattice.windows
            for a in 0..<w.latticeRows {
                for b in 0..<w.latticeColumns {
                    let token = (w.offsetY + w.dilation * a) * gridColumns + w.offsetX + w.dilation * b
                    (normalised + (a * w.latticeColumns + b) * d).update(from: residual + token * d, count: d)
                }
            }
            norm.weight.withUnsafeBufferPointer { weight in
                norm.bias.withUnsafeBufferPointer { bias in
                    layerNorm(normalised, into: normalised, rows: lattice.count, columns: d,
                              weight: weight.baseAddress!, bias: bias.baseAddress!, epsilon: epsilon)
                }
            }
            layer.apply(normalised, rows: lattice.count, into: qkv)
            // On its sub-lattice the level is plain window attention with `m × m` windows.
            let column = lattice.head * dh
            WindowWalker(images: 1, rows: w.latticeRows, columns: w.latticeColumns, heads: 1, headDimension: dh,
                         levels: [AttentionLevel(segment: w.side, dilation: 1)])
                .forward(queries: qkv + column, keys: qkv + d + column, values: qkv + 2 * d + column,
                         rowStride: 3 * d, output: outputs + lattice.start * dh, logSumExp: logSumExp + lattice.start)
        }
    }

    /// Merges the lattices' results into a band's attention output (`band × D`) given the
    /// band's own log-sum-exp per token and head (`band × H`).
    func merge(into output: UnsafeMutablePointer<Float>, logSumExp bandLogSumExp: UnsafeMutablePointer<Float>,
               band: AttentionBands.Band) {
        let d = heads * headDimension, dh = headDimension
        // The lattice indices whose grid coordinate `offset + r·i` lies in `first..<first + count`.
        func indices(_ first: Int, _ count: Int, offset: Int, dilation r: Int, limit: Int) -> Range<Int> {
            let lower = max(0, (first - offset + r - 1) / r)
            let upper = min(limit, max(0, (first + count - offset + r - 1) / r))
            return lower..<max(lower, upper)
        }
        for lattice in lattices {
            let w = lattice.windows
            for a in indices(band.firstRow, band.rows, offset: w.offsetY, dilation: w.dilation, limit: w.latticeRows) {
                for b in indices(band.firstColumn, band.columns, offset: w.offsetX, dilation: w.dilation,
                                 limit: w.latticeColumns) {
                    let point = lattice.start + a * w.latticeColumns + b
                    let y = w.offsetY + w.dilation * a - band.firstRow, x = w.offsetX + w.dilation * b - band.firstColumn
                    let t = y * band.columns + x
                    let state = t * heads + lattice.head
                    let own = bandLogSumExp[state], other = logSumExp[point]
                    let largest = max(own, other)
                    let ownWeight = exp(own - largest), otherWeight = exp(other - largest)
                    let total = ownWeight + otherWeight
                    let row = output + t * d + lattice.head * dh, extra = outputs + point * dh
                    for c in 0..<dh { row[c] = (ownWeight * row[c] + otherWeight * extra[c]) / total }
                    bandLogSumExp[state] = largest + log(total)
                }
            }
        }
    }
}

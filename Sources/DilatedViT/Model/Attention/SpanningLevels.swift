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
///
/// Read sequence-parallel (`StripLayout`), a rank computes q/k/v only for the lattice points
/// in its own grid rows and the ranks all-gather the keys and values (LongNet's sparsified
/// all-gather: `2·dh` floats per point, about `N/32` points for the shipped levels); each rank
/// then attends the windows that hold its points, with its own queries (the other ranks'
/// query rows of a shared window are zero, their outputs unused). One process is the case
/// of one rank that owns every row.
final class SpanningLevels {
    private struct Lattice {
        let windows: DilatedWindows
        let head: Int
        /// This rank's lattice rows (those in its grid rows) and the rows of the windows
        /// holding them (windows are `side` lattice rows tall, tiled from row 0).
        let ownRows: Range<Int>
        let windowRows: Range<Int>
        /// This rank's first point in `outputs`, `logSumExp` and `queries`.
        let start: Int
        var ownCount: Int { ownRows.count * windows.latticeColumns }
    }

    private let lattices: [Lattice]
    private let heads: Int
    private let headDimension: Int
    private let layout: StripLayout
    /// Each rank's lattice rows per lattice, and where its keys and values of each lattice
    /// start in the gathered floats.
    private let rankRows: [[Range<Int>]]
    private let rankOffsets: [[Int]]
    /// Floats each rank contributes to the all-gather.
    private let counts: [Int]
    /// This rank's points: output (`dh` floats) and log-sum-exp per point, and queries.
    private let outputs: UnsafeMutablePointer<Float>
    private let logSumExp: UnsafeMutablePointer<Float>
    private let queries: UnsafeMutablePointer<Float>
    /// This rank's keys and values (`[k | v]`, `2·dh` a point), then every rank's.
    private let keysAndValues: UnsafeMutablePointer<Float>
    private let gathered: UnsafeMutablePointer<Float>
    /// The largest lattice part's gathered rows: LN1 (`D` wide), then q/k/v (`3D`).
    private let normalised: UnsafeMutablePointer<Float>
    private let qkv: UnsafeMutablePointer<Float>
    /// The largest window rows' `[q | k | v]` (`3·dh` a point), outputs and log-sum-exp.
    private let block: UnsafeMutablePointer<Float>
    private let blockOutputs: UnsafeMutablePointer<Float>
    private let blockLogSumExp: UnsafeMutablePointer<Float>
    private let buffers = FloatBuffers()

    /// Nil when no level spans more than a band.
    init?(levels: [AttentionLevel], heads: Int, headDimension: Int, layout: StripLayout) {
        guard !levels.isEmpty else { return nil }
        let strips = layout.strips, dh = headDimension, d = heads * headDimension
        var lattices: [Lattice] = [], total = 0
        var rankRows = [[Range<Int>]](repeating: [], count: strips.ranks)
        for level in levels {
            for head in 0..<heads {
                let windows = DilatedWindows(level: level, head: head, gridRows: strips.gridRows,
                                             gridColumns: strips.gridColumns)
                guard windows.count > 0 else { continue }
                for rank in 0..<strips.ranks { rankRows[rank].append(windows.latticeRows(in: strips.rows(of: rank))) }
                let own = rankRows[layout.rank].last!, m = windows.side
                let windowRows = own.isEmpty ? own : own.lowerBound / m * m ..< min((own.upperBound + m - 1) / m * m, windows.latticeRows)
                lattices.append(Lattice(windows: windows, head: head, ownRows: own, windowRows: windowRows, start: total))
                total += lattices.last!.ownCount
            }
        }
        self.lattices = lattices
        self.heads = heads
        self.headDimension = headDimension
        self.layout = layout
        self.rankRows = rankRows
        rankOffsets = rankRows.map { rows in
            zip(rows, lattices).reduce(into: [0]) { $0.append($0.last! + $1.0.count * $1.1.windows.latticeColumns * 2 * dh) }
        }
        counts = rankOffsets.map { $0.last! }
        let largest = lattices.map(\.ownCount).max() ?? 0
        let largestBlock = lattices.map { $0.windowRows.count * $0.windows.latticeColumns }.max() ?? 0
        outputs = buffers.take(total * dh)
        logSumExp = buffers.take(total)
        queries = buffers.take(total * dh)
        keysAndValues = buffers.take(total * 2 * dh)
        gathered = buffers.take(counts.reduce(0, +))
        normalised = buffers.take(largest * d)
        qkv = buffers.take(largest * 3 * d)
        block = buffers.take(largestBlock * 3 * dh)
        blockOutputs = buffers.take(largestBlock * dh)
        blockLogSumExp = buffers.take(largestBlock)
    }

    /// Floats held for a whole grid on one process (the estimate of
    /// `DilatedViTModel.estimatedForwardBytes`).
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
        let d = heads * headDimension
        return total.saturatingProduct(6 * headDimension + 1)
            .saturatingSum(largest.saturatingProduct(4 * d + 4 * headDimension + 1))
    }

    /// Attends every lattice from `residual`, the block's input (this rank's `local` rows,
    /// `D` floats a token), through the block's LN1 and QKV; returns the bytes this rank
    /// sends the others.
    @discardableResult
    func attend(residual: UnsafePointer<Float>, norm: NormWeights, qkv layer: Linear, epsilon: Float,
                in group: any ProcessGroup) -> Int {
        let d = heads * headDimension, dh = headDimension, columns = layout.strips.gridColumns
        // This rank's points: LN1 and QKV, keeping the head's query, key and value.
        for lattice in lattices where lattice.ownCount > 0 {
            let w = lattice.windows
            for (i, a) in lattice.ownRows.enumerated() {
                let row = w.offsetY + w.dilation * a - layout.local.lowerBound
                for b in 0..<w.latticeColumns {
                    let token = row * columns + w.offsetX + w.dilation * b
                    (normalised + (i * w.latticeColumns + b) * d).update(from: residual + token * d, count: d)
                }
            }
            norm.weight.withUnsafeBufferPointer { weight in
                norm.bias.withUnsafeBufferPointer { bias in
                    layerNorm(normalised, into: normalised, rows: lattice.ownCount, columns: d,
                              weight: weight.baseAddress!, bias: bias.baseAddress!, epsilon: epsilon)
                }
            }
            layer.apply(normalised, rows: lattice.ownCount, into: qkv)
            for p in 0..<lattice.ownCount {
                let source = qkv + p * 3 * d + lattice.head * dh, point = lattice.start + p
                (queries + point * dh).update(from: source, count: dh)
                (keysAndValues + point * 2 * dh).update(from: source + d, count: dh)
                (keysAndValues + point * 2 * dh + dh).update(from: source + 2 * d, count: dh)
            }
        }
        let mine = counts[layout.rank]
        group.gather(UnsafeBufferPointer(start: keysAndValues, count: mine), counts: counts,
                     into: UnsafeMutableBufferPointer(start: gathered, count: counts.reduce(0, +)))
        let rankStarts = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
        for (index, lattice) in lattices.enumerated() where !lattice.windowRows.isEmpty {
            let w = lattice.windows, lc = w.latticeColumns
            // The window rows' [q | k | v]: keys and values from their owners, queries ours.
            for (i, a) in lattice.windowRows.enumerated() {
                let owner = (0..<layout.strips.ranks).first { rankRows[$0][index].contains(a) }!
                let first = rankRows[owner][index].lowerBound
                let source = gathered + rankStarts[owner] + rankOffsets[owner][index] + (a - first) * lc * 2 * dh
                for b in 0..<lc {
                    let target = block + (i * lc + b) * 3 * dh
                    (target + dh).update(from: source + b * 2 * dh, count: 2 * dh)
                    if lattice.ownRows.contains(a) {
                        target.update(from: queries + (lattice.start + (a - lattice.ownRows.lowerBound) * lc + b) * dh, count: dh)
                    } else {
                        target.update(repeating: 0, count: dh)
                    }
                }
            }
            // On its sub-lattice the level is plain window attention with `m × m` windows.
            WindowWalker(images: 1, rows: lattice.windowRows.count, columns: lc, heads: 1, headDimension: dh,
                         levels: [AttentionLevel(segment: w.side, dilation: 1)])
                .forward(queries: block, keys: block + dh, values: block + 2 * dh, rowStride: 3 * dh,
                         output: blockOutputs, logSumExp: blockLogSumExp)
            let skipped = (lattice.ownRows.lowerBound - lattice.windowRows.lowerBound) * lc
            (outputs + lattice.start * dh).update(from: blockOutputs + skipped * dh, count: lattice.ownCount * dh)
            (logSumExp + lattice.start).update(from: blockLogSumExp + skipped, count: lattice.ownCount)
        }
        return mine * MemoryLayout<Float>.stride * (layout.strips.ranks - 1)
    }

    /// Merges the lattices' results into a band's attention output (`band × D`) given the
    /// band's own log-sum-exp per token and head (`band × H`); a band is in `local` rows,
    /// and only this rank's own rows are merged (a halo row's output is never used).
    func merge(into output: UnsafeMutablePointer<Float>, logSumExp bandLogSumExp: UnsafeMutablePointer<Float>,
               band: AttentionBands.Band) {
        let d = heads * headDimension, dh = headDimension
        let top = layout.local.lowerBound + band.firstRow
        let rows = (top..<top + band.rows).clamped(to: layout.own)
        let columns = band.firstColumn..<band.firstColumn + band.columns
        for lattice in lattices {
            let w = lattice.windows
            for a in w.latticeRows(in: rows) {
                for b in w.latticeColumns(in: columns) {
                    let point = lattice.start + (a - lattice.ownRows.lowerBound) * w.latticeColumns + b
                    let y = w.offsetY + w.dilation * a - top, x = w.offsetX + w.dilation * b - band.firstColumn
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

extension DilatedWindows {
    /// The lattice rows whose grid row `offsetY + r·a` lies in `rows`.
    func latticeRows(in rows: Range<Int>) -> Range<Int> {
        Self.indices(rows, offset: offsetY, dilation: dilation, limit: latticeRows)
    }

    /// The lattice columns whose grid column `offsetX + r·b` lies in `columns`.
    func latticeColumns(in columns: Range<Int>) -> Range<Int> {
        Self.indices(columns, offset: offsetX, dilation: dilation, limit: latticeColumns)
    }

    private static func indices(_ range: Range<Int>, offset: Int, dilation r: Int, limit: Int) -> Range<Int> {
        let lower = min(limit, max(0, (range.lowerBound - offset + r - 1) / r))
        let upper = min(limit, max(0, (range.upperBound - offset + r - 1) / r))
        return lower..<max(lower, upper)
    }
}

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
/// in its own grid rows, and receives from the other ranks the keys and values of the
/// lattice rows that share a window with its own (LongNet's sparse exchange: `2·dh` floats a
/// point; a window spans `s` grid rows, so at the finer of these levels only neighbouring
/// ranks meet, and only the coarsest, smallest lattices reach every rank). It then attends
/// the windows that hold its points, with its own queries (another rank's query rows in a
/// shared window are zero, their outputs unused). One process is the case of one rank that
/// owns every row.
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
    /// Each rank's own lattice rows and window rows, per lattice (`Lattice.ownRows`, `.windowRows`).
    private let rankRows: [[Range<Int>]]
    private let rankWindowRows: [[Range<Int>]]
    /// Where each lattice's received rows start in `received` (points): the window rows
    /// above this rank's own, then those below.
    private let receivedStarts: [Int]
    /// This rank's points: output (`dh` floats) and log-sum-exp per point, and queries.
    private let outputs: UnsafeMutablePointer<Float>
    private let logSumExp: UnsafeMutablePointer<Float>
    private let queries: UnsafeMutablePointer<Float>
    /// Keys and values (`[k | v]`, `2·dh` a point): this rank's points, and the other ranks'
    /// points that share a window with them.
    private let keysAndValues: UnsafeMutablePointer<Float>
    private let received: UnsafeMutablePointer<Float>
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
        var lattices: [Lattice] = [], total = 0, receivedTotal = 0, receivedStarts: [Int] = []
        var rankRows = [[Range<Int>]](repeating: [], count: strips.ranks)
        var rankWindowRows = rankRows
        for level in levels {
            for head in 0..<heads {
                let windows = DilatedWindows(level: level, head: head, gridRows: strips.gridRows,
                                             gridColumns: strips.gridColumns)
                guard windows.count > 0 else { continue }
                for rank in 0..<strips.ranks {
                    let own = windows.latticeRows(in: strips.rows(of: rank))
                    rankRows[rank].append(own)
                    rankWindowRows[rank].append(windows.windowRows(holding: own))
                }
                let own = rankRows[layout.rank].last!, windowRows = rankWindowRows[layout.rank].last!
                lattices.append(Lattice(windows: windows, head: head, ownRows: own, windowRows: windowRows, start: total))
                total += lattices.last!.ownCount
                receivedStarts.append(receivedTotal)
                receivedTotal += (windowRows.count - own.count) * windows.latticeColumns
            }
        }
        self.lattices = lattices
        self.heads = heads
        self.headDimension = headDimension
        self.layout = layout
        self.rankRows = rankRows
        self.rankWindowRows = rankWindowRows
        self.receivedStarts = receivedStarts
        let largest = lattices.map(\.ownCount).max() ?? 0
        let largestBlock = lattices.map { $0.windowRows.count * $0.windows.latticeColumns }.max() ?? 0
        outputs = buffers.take(total * dh)
        logSumExp = buffers.take(total)
        queries = buffers.take(total * dh)
        keysAndValues = buffers.take(total * 2 * dh)
        received = buffers.take(receivedTotal * 2 * dh)
        normalised = buffers.take(largest * d)
        qkv = buffers.take(largest * 3 * d)
        block = buffers.take(largestBlock * 3 * dh)
        blockOutputs = buffers.take(largestBlock * dh)
        blockLogSumExp = buffers.take(largestBlock)
    }

    /// Floats held for a whole grid on one process, or at most for a strip of it (the
    /// estimate of `DilatedViTModel.estimatedForwardBytes`: the received keys and values
    /// are counted as if every point were received).
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
    /// sent the others. Every rank calls it at once.
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
        let sent = exchangeKeysAndValues(in: group)
        for (index, lattice) in lattices.enumerated() where !lattice.windowRows.isEmpty {
            let w = lattice.windows, lc = w.latticeColumns, own = lattice.ownRows
            // The window rows' [q | k | v]: our queries, keys and values from whoever owns the row.
            for (i, a) in lattice.windowRows.enumerated() {
                let ours = own.contains(a), point = lattice.start + (a - own.lowerBound) * lc
                let source = ours ? keysAndValues + point * 2 * dh
                    : received + (receivedStarts[index] + receivedRow(a, of: lattice) * lc) * 2 * dh
                for b in 0..<lc {
                    let target = block + (i * lc + b) * 3 * dh
                    (target + dh).update(from: source + b * 2 * dh, count: 2 * dh)
                    if ours {
                        target.update(from: queries + (point + b) * dh, count: dh)
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
        return sent
    }

    /// The index of lattice row `a` (a window row not this rank's) among the lattice's
    /// received rows: those above the own rows first, then those below.
    private func receivedRow(_ a: Int, of lattice: Lattice) -> Int {
        a < lattice.ownRows.lowerBound ? a - lattice.windowRows.lowerBound
            : lattice.ownRows.lowerBound - lattice.windowRows.lowerBound + a - lattice.ownRows.upperBound
    }

    /// Sends each other rank the keys and values of this rank's lattice rows inside that
    /// rank's window rows, and receives theirs inside ours: one message per rank and
    /// lattice, in lattice order on both sides. Returns the bytes sent.
    private func exchangeKeysAndValues(in group: any ProcessGroup) -> Int {
        let dh = headDimension
        var sending: [RankMessage] = [], receiving: [RankBuffer] = []
        for peer in 0..<layout.strips.ranks where peer != layout.rank {
            for (index, lattice) in lattices.enumerated() {
                let lc = lattice.windows.latticeColumns, own = lattice.ownRows
                let outgoing = own.clamped(to: rankWindowRows[peer][index])
                if !outgoing.isEmpty {
                    sending.append(RankMessage(rank: peer, values: UnsafeBufferPointer(
                        start: keysAndValues + (lattice.start + (outgoing.lowerBound - own.lowerBound) * lc) * 2 * dh,
                        count: outgoing.count * lc * 2 * dh)))
                }
                let incoming = rankRows[peer][index].clamped(to: lattice.windowRows)
                if !incoming.isEmpty {
                    receiving.append(RankBuffer(rank: peer, values: UnsafeMutableBufferPointer(
                        start: received + (receivedStarts[index] + receivedRow(incoming.lowerBound, of: lattice) * lc) * 2 * dh,
                        count: incoming.count * lc * 2 * dh)))
                }
            }
        }
        group.exchange(sending: sending, receiving: receiving)
        return sending.reduce(0) { $0 + $1.values.count * MemoryLayout<Float>.stride }
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
    /// The lattice rows of the windows holding lattice rows `rows` (windows are `side` rows
    /// tall, tiled from row 0).
    func windowRows(holding rows: Range<Int>) -> Range<Int> {
        rows.isEmpty ? rows : rows.lowerBound / side * side..<min((rows.upperBound + side - 1) / side * side, latticeRows)
    }

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

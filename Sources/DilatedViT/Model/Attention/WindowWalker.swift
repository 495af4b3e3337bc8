import CKernels
import Foundation

// The one attention driver: inference (one image, one band of its grid at a time) and
// training (a batch of images on one grid, forward keeping the log-sum-exp, and backward)
// walk the same (image, tile, head) items, window by window, into the same two native
// kernels. Geometry of the windows: `DilatedWindows`; the maths: MODEL.md §5 and §6.
//
// Why tiles. Every window lies inside one grid-aligned `S × S` tile, `S` the least common
// multiple of the segments (`windowTileSide`), so (image, tile, head) items are independent
// and run in parallel. Each item runs all levels back to back while the tile's rows of that
// head — a few hundred kilobytes — stay in cache, and normalises them there; sweeping the
// whole grid once per level instead fell from 26 to 12 GFLOP/s once a band's q/k/v outgrew
// the cache. A token's windows are absorbed in level order either way, so the order changes
// no result.
//
// Why one running softmax merges the levels. Each kernel call absorbs a window's keys into
// per-(token, head) running states — maximum μ, sum σ = Σ exp(score − μ) and the
// unnormalised output a = Σ exp(score − μ)·v — by the online-softmax update. Because
// `exp(lse_l)·o_l = Σ_{u∈S_l} exp(score)·V[u]`, the merged output `Σ_l softmax_l(lse_l)·o_l`
// is one softmax over the union of every level's key set (a key two levels select counts
// twice), so absorbing level after level into the same states *is* the merge: at the end
// `o = a/σ`, and the merged log-sum-exp is `lse = μ + log σ`. The same holds for key chunks
// of one large window (dense attention's).
//
// Backward through the merge. Since the merged output is one softmax over that union with
// log-sum-exp `lse`, the FlashAttention backward applies entry by entry with
// `P = exp(score − lse)` from the *merged* lse: `dV[u] += P·dO`, `dS = P ⊙ (dO·V[u] − Δ)`
// with `Δ = rowsum(dO ⊙ O)`, `dQ += τ·dS·K`, `dK += τ·dS·Q`. Each window contributes its
// entries independently, so the backward walks the forward's items; a window's gradient rows
// lie in its tile, so items still write disjoint rows.
//
// Dense attention is the one-level case: a single undilated segment covering the grid
// (MODEL.md §6), one tile, one window per head. Its window is split so that it parallelises
// and stays in cache: the forward gives each item a band of the grid's rows as queries
// (`parts` items per head) and absorbs the keys in chunks of `keyChunk`; the backward runs
// the whole window per item.

/// The levels a mode attends over on a `rows × columns` grid.
package func attentionLevels(mode: AttentionMode, levels: [AttentionLevel], rows: Int, columns: Int) -> [AttentionLevel] {
    switch mode {
    case .dilated: levels
    case .dense: [AttentionLevel(segment: max(rows, columns), dilation: 1)]
    }
}

/// The native window kernels. Tests swap in the baseline x86-64 clones (`CKernelsTesting`).
package struct WindowKernels {
    package let forward: @convention(c) (UnsafePointer<ck_attention_forward>?, UnsafePointer<ck_window>?,
                                 UnsafeMutablePointer<Float>?) -> Void
    package let backward: @convention(c) (UnsafePointer<ck_attention_backward>?, UnsafePointer<ck_window>?,
                                  UnsafeMutablePointer<Float>?) -> Void

    static let native = WindowKernels(forward: ck_window_attention, backward: ck_window_attention_backward)
}

/// Attention over `images` grids of `rows × columns` tokens stacked image after image
/// (token `t = image·N + y·columns + x`), `heads` heads of `headDimension` features,
/// through `levels` (dense: `attentionLevels(mode: .dense, …)`).
package struct WindowWalker {
    package let images: Int
    package let rows: Int
    package let columns: Int
    let heads: Int
    let headDimension: Int
    let levels: [AttentionLevel]
    var kernels = WindowKernels.native

    package init(images: Int, rows: Int, columns: Int, heads: Int, headDimension: Int, levels: [AttentionLevel],
                 kernels: WindowKernels = .native) {
        self.images = images
        self.rows = rows
        self.columns = columns
        self.heads = heads
        self.headDimension = headDimension
        self.levels = levels
        self.kernels = kernels
    }

    package var tokensPerImage: Int { rows * columns }
    var dimension: Int { heads * headDimension }
    /// The softmax temperature `dh^-1/2`.
    var scale: Float { 1 / Float(headDimension).squareRoot() }

    /// A window with more keys than this absorbs them over several kernel calls, and its
    /// queries go in blocks of `queryBlock`: the chunk's transposed keys (`dh × 512`) and
    /// the block's states stay in L1/L2 however large the window.
    static var keyChunk: Int { 512 }
    static var queryBlock: Int { 256 }

    /// One work item: head `head` of image `image` within the tile `rows × columns` (grid
    /// coordinates), whose rows `queryRows` are the item's queries.
    struct Item {
        let image, head: Int
        let rows: Range<Int>
        let columns: Range<Int>
        let queryRows: Range<Int>
    }

    /// Geometry of every level and head, and the item split.
    private struct Plan {
        let windows: [[DilatedWindows]]
        /// The most tokens any window holds.
        let capacity: Int
        let tileSide: Int
        let tileColumns: Int
        let tilesPerImage: Int
        let parts: Int
    }

    private func plan(splittingQueries: Bool) -> Plan {
        let windows = levels.map { level in
            (0..<heads).map { DilatedWindows(level: level, head: $0, gridRows: rows, gridColumns: columns) }
        }
        let capacity = levels.map { DilatedWindows.capacity(level: $0, gridRows: rows, gridColumns: columns) }.max() ?? 0
        let tileSide = max(1, windowTileSide(levels, atMost: max(rows, columns)))
        let tileColumns = (columns + tileSide - 1) / tileSide
        let tilesPerImage = (rows + tileSide - 1) / tileSide * tileColumns
        // Only windows too large for one kernel call (dense attention's) are worth splitting
        // into query bands: each band transposes the window's keys again.
        var parts = 1
        let items = images * tilesPerImage * heads
        if splittingQueries && capacity > Self.keyChunk && items < 4 * parallelWorkerCount {
            parts = min(min(tileSide, rows), (4 * parallelWorkerCount + items - 1) / items)
        }
        return Plan(windows: windows, capacity: capacity, tileSide: tileSide, tileColumns: tileColumns,
                    tilesPerImage: tilesPerImage, parts: parts)
    }

    /// Runs `body(item, tokens, scratch)` for every (image, tile, head, part) item in
    /// parallel, with a worker's `tokens` buffer (room for one window) and `scratchCount`
    /// floats of kernel scratch. `parts` items of one tile and head split its rows evenly.
    @inline(__always)
    private func forEachItem(_ plan: Plan, scratchCount: Int,
                             _ body: (Item, UnsafeMutablePointer<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let itemsPerImage = plan.tilesPerImage * heads * plan.parts
        parallelChunks(images * itemsPerImage) { range in
            let tokens = UnsafeMutablePointer<Int>.allocate(capacity: max(plan.capacity, 1))
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchCount, 1))
            defer { tokens.deallocate(); scratch.deallocate() }
            for index in range {
                let image = index / itemsPerImage, local = index % itemsPerImage
                let part = local % plan.parts, head = local / plan.parts % heads
                let tile = local / (plan.parts * heads)
                let top = tile / plan.tileColumns * plan.tileSide, left = tile % plan.tileColumns * plan.tileSide
                let bottom = min(top + plan.tileSide, rows), right = min(left + plan.tileSide, columns)
                let tileRows = bottom - top
                let queryRows = (top + tileRows * part / plan.parts)..<(top + tileRows * (part + 1) / plan.parts)
                body(Item(image: image, head: head, rows: top..<bottom, columns: left..<right, queryRows: queryRows),
                     tokens, scratch)
            }
        }
    }

    /// Calls `body(count, queries, level)` for each window of the item's head in its tile,
    /// level by level, with the window's `count` (stacked) token rows in `tokens` and the
    /// index range of those that are the item's queries. Window tokens are row-major, so the
    /// queries of a band of rows are a contiguous run.
    @inline(__always)
    private func forEachWindow(of item: Item, _ plan: Plan, tokens: UnsafeMutablePointer<Int>,
                               _ body: (_ count: Int, _ queries: Range<Int>, _ level: Int) -> Void) {
        let offset = item.image * tokensPerImage
        let wholeTile = item.queryRows == item.rows
        for (index, (level, windows)) in zip(levels, plan.windows).enumerated() {
            let s = level.segment
            for segmentRow in item.rows.lowerBound / s..<(item.rows.upperBound + s - 1) / s {
                for segmentColumn in item.columns.lowerBound / s..<(item.columns.upperBound + s - 1) / s {
                    let count = windows[item.head].tokens(inSegmentRow: segmentRow, column: segmentColumn,
                                                          gridColumns: columns, into: tokens)
                    var queries = 0..<count
                    if !wholeTile {
                        let first = item.queryRows.lowerBound * columns, end = item.queryRows.upperBound * columns
                        let lower = (0..<count).first { tokens[$0] >= first } ?? count
                        let upper = (lower..<count).first { tokens[$0] >= end } ?? count
                        queries = lower..<upper
                    }
                    if offset != 0 { for i in 0..<count { tokens[i] += offset } }
                    body(count, queries, index)
                }
            }
        }
    }

    /// Calls `body(t)` for the (stacked) token row `t` of each of the item's queries.
    @inline(__always)
    private func forEachQuery(of item: Item, _ body: (_ token: Int) -> Void) {
        let offset = item.image * tokensPerImage
        for y in item.queryRows {
            for x in item.columns { body(offset + y * columns + x) }
        }
    }

    /// Forward: writes the merged attention output (`images·N × D`, row stride `D`) of the
    /// q/k/v rows `queries`, `keys`, `values + t·rowStride` (head `h` at columns
    /// `h·dh ..< (h+1)·dh`), and, when asked, the merged log-sum-exp of every token and head
    /// (`images·N × H`) for the backward. Extra memory: `N × H` floats of sums, and `N × H`
    /// maxima unless `logSumExp` holds them.
    package func forward(queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                 rowStride: Int, output: UnsafeMutablePointer<Float>,
                 logSumExp: UnsafeMutablePointer<Float>? = nil) {
        let total = images * tokensPerImage, dh = headDimension, d = dimension, heads = self.heads
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: total * heads)
        let maxima = logSumExp ?? .allocate(capacity: total * heads)
        defer {
            sums.deallocate()
            if logSumExp == nil { maxima.deallocate() }
        }
        let plan = self.plan(splittingQueries: true)
        let chunk = min(plan.capacity, Self.keyChunk)
        let rows = ck_head_rows(queries: queries, keys: keys, values: values, row_stride: rowStride,
                                head_dimension: dh, scale: scale)
        let kernel = kernels.forward
        // An undilated first level puts every token of a tile in exactly one of its windows:
        // those calls start the states (`ck_window.starts`) instead of a pass setting them.
        let firstLevelStarts = levels.first?.dilation == 1
        forEachItem(plan, scratchCount: ck_window_attention_scratch_count(chunk, dh)) { item, tokens, scratch in
            let column = item.head * dh
            var head = ck_attention_forward(
                rows: ck_head_rows(queries: rows.queries + column, keys: rows.keys + column,
                                   values: rows.values + column, row_stride: rowStride, head_dimension: dh,
                                   scale: rows.scale),
                maxima: maxima + item.head, sums: sums + item.head, state_stride: heads,
                output: output + column, output_stride: d)
            if !firstLevelStarts {
                forEachQuery(of: item) { t in
                    maxima[t * heads + item.head] = -.infinity
                    sums[t * heads + item.head] = 0
                    let row = output + t * d + column
                    // Vector stores: a loop of floats becomes a memset call per row.
                    var c = 0
                    while c + floatVectorWidth <= dh { row.storeVector(.zero, at: c); c += floatVectorWidth }
                    while c < dh { row[c] = 0; c += 1 }
                }
            }
            withUnsafePointer(to: &head) { head in
                forEachWindow(of: item, plan, tokens: tokens) { count, queries, level in
                    let starts = firstLevelStarts && level == 0
                    if count <= Self.keyChunk {
                        var window = ck_window(query_count: queries.count, queries: tokens + queries.lowerBound,
                                               key_count: count, keys: tokens, starts: starts)
                        kernel(head, &window, scratch)
                        return
                    }
                    for blockStart in stride(from: queries.lowerBound, to: queries.upperBound, by: Self.queryBlock) {
                        let blockCount = min(Self.queryBlock, queries.upperBound - blockStart)
                        for keyStart in stride(from: 0, to: count, by: Self.keyChunk) {
                            var window = ck_window(query_count: blockCount, queries: tokens + blockStart,
                                                   key_count: min(Self.keyChunk, count - keyStart),
                                                   keys: tokens + keyStart, starts: starts && keyStart == 0)
                            kernel(head, &window, scratch)
                        }
                    }
                }
            }
            // Normalise while the tile is in cache: o = a/σ, lse = μ + log σ. A token no
            // level selected (impossible when the first level has dilation 1) keeps a zero
            // output.
            forEachQuery(of: item) { t in
                let state = t * heads + item.head
                let sum = sums[state]
                let inverse: Float = sum > 0 ? 1 / sum : 0
                let row = output + t * d + column
                for c in 0..<dh { row[c] *= inverse }
                if logSumExp != nil { maxima[state] += log(sum) }
            }
        }
    }

    /// Backward: given the forward's q/k/v rows (as in `forward`), merged output and
    /// log-sum-exp, and the output gradient (`images·N × D`), writes the gradients of the
    /// q/k/v rows (`queryGradient` etc. `+ t·gradientStride`).
    package func backward(queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                  rowStride: Int, output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>,
                  queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>,
                  valueGradient: UnsafeMutablePointer<Float>, gradientStride: Int) {
        let total = images * tokensPerImage, dh = headDimension, d = dimension, heads = self.heads
        let delta = UnsafeMutablePointer<Float>.allocate(capacity: total * heads)
        defer { delta.deallocate() }
        // Every window's gradient rows lie in its tile, so one item per (image, tile, head).
        let plan = self.plan(splittingQueries: false)
        let scratchCount = ck_window_attention_backward_scratch_count(plan.capacity, plan.capacity, dh)
        let kernel = kernels.backward
        forEachItem(plan, scratchCount: scratchCount) { item, tokens, scratch in
            let column = item.head * dh
            var head = ck_attention_backward(
                rows: ck_head_rows(queries: queries + column, keys: keys + column, values: values + column,
                                   row_stride: rowStride, head_dimension: dh, scale: scale),
                log_sum_exp: logSumExp + item.head, delta: delta + item.head, state_stride: heads,
                output_gradient: outputGradient + column, output_gradient_stride: d,
                query_gradient: queryGradient + column, key_gradient: keyGradient + column,
                value_gradient: valueGradient + column, gradient_stride: gradientStride)
            // Δ = rowsum(dO ⊙ O) of the head, and zero gradients, for the tile's tokens.
            forEachQuery(of: item) { t in
                let o = output + t * d + column, g = outputGradient + t * d + column
                var sum: Float = 0
                for c in 0..<dh { sum += o[c] * g[c] }
                delta[t * heads + item.head] = sum
                let dq = queryGradient + t * gradientStride + column
                let dk = keyGradient + t * gradientStride + column
                let dv = valueGradient + t * gradientStride + column
                for c in 0..<dh { dq[c] = 0; dk[c] = 0; dv[c] = 0 }
            }
            withUnsafePointer(to: &head) { head in
                forEachWindow(of: item, plan, tokens: tokens) { count, _, _ in
                    var window = ck_window(query_count: count, queries: tokens, key_count: count, keys: tokens,
                                           starts: false)
                    kernel(head, &window, scratch)
                }
            }
        }
    }
}

// The model's layouts: inference's `AttentionProblem`, training's `[q | k | v]` rows.
extension WindowWalker {
    /// The walker over one image's grid of `problem` (a band of the model's grid).
    package init(_ problem: AttentionProblem, mode: AttentionMode = .dilated, levels: [AttentionLevel],
         kernels: WindowKernels = .native) {
        self.init(images: 1, rows: problem.rows, columns: problem.columns, heads: problem.heads,
                  headDimension: problem.headDimension,
                  levels: attentionLevels(mode: mode, levels: levels, rows: problem.rows, columns: problem.columns),
                  kernels: kernels)
    }

    /// Inference: the merged output of `problem` into `output` (`N × D`).
    package func forward(_ problem: AttentionProblem, output: UnsafeMutablePointer<Float>) {
        forward(queries: problem.queries, keys: problem.keys, values: problem.values, rowStride: problem.rowStride,
                output: output)
    }

    /// Training forward on `images·N` rows of `qkv` (`3D` wide: q, k, v): the merged output
    /// (`images·N × D`) and log-sum-exp (`images·N × H`).
    package func forward(qkv: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 logSumExp: UnsafeMutablePointer<Float>) {
        let d = dimension
        forward(queries: qkv, keys: qkv + d, values: qkv + 2 * d, rowStride: 3 * d, output: output,
                logSumExp: logSumExp)
    }

    /// Training backward: from the forward's `qkv`, output and log-sum-exp and the output
    /// gradient (`images·N × D`), the gradient of the `qkv` rows (`images·N × 3D`).
    package func backward(qkv: UnsafePointer<Float>, output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>, qkvGradient: UnsafeMutablePointer<Float>) {
        let d = dimension
        backward(queries: qkv, keys: qkv + d, values: qkv + 2 * d, rowStride: 3 * d, output: output,
                 logSumExp: logSumExp, outputGradient: outputGradient,
                 queryGradient: qkvGradient, keyGradient: qkvGradient + d, valueGradient: qkvGradient + 2 * d,
                 gradientStride: 3 * d)
    }
}

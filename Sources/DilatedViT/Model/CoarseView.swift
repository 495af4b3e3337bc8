import Foundation

/// The coarse view of a grid larger than `coarse_view_tokens` (Model v2, MODEL.md §9.4): the
/// whole photo area-averaged down to the grid that budget gives it (aspect kept as
/// `WorkingResolution` keeps it), read by the same blocks and pooled in one softmax with the
/// grid's own tokens. A reading above the budget thus always holds what a reading at the
/// budget sees, and its extra tokens add detail to that rather than replace it.
///
/// Area averaging is linear and separable, so the view is built row by row: each source
/// pixel row adds its horizontal averages, weighted by its overlap with each view row. A
/// sequence-parallel read adds each rank's strip and sums the partial views across ranks.
package struct CoarseView {
    /// The view's grid: at most the budget's tokens, never more patches a side than the grid.
    package let resolution: WorkingResolution
    /// The source grid's patch rows and columns.
    let sourceRows: Int
    let sourceColumns: Int
    /// View pixels, `(row, column, channel)` order; normalised values, like the grid's.
    private(set) var pixels: [Float]

    /// The view of a `rows × columns` grid, or nil when the grid is within `budget` tokens (or
    /// `budget` is 0: no view).
    package init?(rows: Int, columns: Int, patchSize: Int, budget: Int) {
        guard budget > 0, rows * columns > budget else { return nil }
        resolution = WorkingResolution(width: columns * patchSize, height: rows * patchSize, patchSize: patchSize,
                                       maxTokens: budget)
        sourceRows = rows
        sourceColumns = columns
        pixels = [Float](repeating: 0, count: resolution.width * resolution.height * 3)
    }

    /// The view of the whole of `grid`, or nil when it has none.
    package init?(of grid: PatchGrid, budget: Int) {
        self.init(rows: grid.rows, columns: grid.columns, patchSize: grid.patchSize, budget: budget)
        add(grid, firstRow: 0)
    }

    /// Adds `strip`, the grid's patch rows from `firstRow` on (the whole grid: `firstRow` 0).
    package mutating func add(_ strip: PatchGrid, firstRow: Int) {
        let p = strip.patchSize, width = resolution.width, features = strip.featuresPerToken
        precondition(p == resolution.patchSize && strip.columns == sourceColumns && firstRow + strip.rows <= sourceRows)
        let across = Array(Self.overlaps(of: 0..<sourceColumns * p, source: sourceColumns * p, target: width).joined())
        let down = Self.overlaps(of: firstRow * p..<(firstRow + strip.rows) * p, source: sourceRows * p,
                                 target: resolution.height)
        var row = [Float](repeating: 0, count: width * 3)
        strip.values.withUnsafeBufferPointer { values in
            for y in 0..<strip.rows * p {
                let gy = y / p, py = y % p
                for i in row.indices { row[i] = 0 }
                for (x, target, weight) in across {
                    let value = values.baseAddress! + (gy * strip.columns + x / p) * features + py * p + x % p
                    for c in 0..<3 { row[target * 3 + c] += weight * value[c * p * p] }
                }
                for (_, target, weight) in down[y] {
                    for i in row.indices { pixels[target * width * 3 + i] += weight * row[i] }
                }
            }
        }
    }

    /// Sums every rank's partial view (each added its own strip), on every rank.
    package mutating func combine(in group: any ProcessGroup) {
        guard group.size > 1 else { return }
        group.sum(&pixels)
    }

    /// The view as a grid for the model.
    package var grid: PatchGrid {
        let p = resolution.patchSize, width = resolution.width
        var values = [Float](repeating: 0, count: pixels.count)
        for y in 0..<resolution.height {
            for x in 0..<width {
                let base = ((y / p) * resolution.columns + x / p) * 3 * p * p + (y % p) * p + x % p
                for c in 0..<3 { values[base + c * p * p] = pixels[(y * width + x) * 3 + c] }
            }
        }
        return PatchGrid(rows: resolution.rows, columns: resolution.columns, patchSize: p, values: values)
    }

    /// The view token whose area holds each grid token's centre (row-major), for spreading the
    /// view's share of the logits over the grid (`DilatedViTModel.tokenLogits`).
    package var tokenOwners: [Int] {
        (0..<sourceRows * sourceColumns).map { t in
            let row = (2 * (t / sourceColumns) + 1) * resolution.rows / (2 * sourceRows)
            let column = (2 * (t % sourceColumns) + 1) * resolution.columns / (2 * sourceColumns)
            return row * resolution.columns + column
        }
    }

    /// Source pixel `s` of `source` covers `[s, s + 1)`, target pixel `t` covers
    /// `[t·r, (t + 1)·r)` with `r = source / target ≥ 1`: for each source pixel, the targets
    /// it overlaps with the overlap's length over `r` (so each target's weights sum to 1).
    /// One entry per source pixel of `pixels`, in order; at most two targets each.
    private static func overlaps(of pixels: Range<Int>, source: Int,
                                 target: Int) -> [[(source: Int, target: Int, weight: Float)]] {
        pixels.map { s in
            // In units of 1/target pixel, so that every bound is an integer.
            let low = s * target, high = (s + 1) * target
            return (low / source...(high - 1) / source).map { t in
                let overlap = min(high, (t + 1) * source) - max(low, t * source)
                return (s, t, Float(overlap) / Float(source))
            }
        }
    }
}

/// A coarse view after the blocks: what pooling needs of it.
package struct CoarseViewReading {
    package let view: CoarseView
    /// Final-LayerNorm rows `z_u` (`Nview × D`) and their pooling scores (`Nview × H`).
    let rows: [Float]
    let scores: [Float]
    let heads: Int
    /// Added to the view's scores (`ModelArchitecture.coarseViewScoreOffset`).
    let scoreOffset: Float

    /// Each view token's term `w_u ⊙ z_u` of the pooled features, divided among the grid
    /// tokens whose centres it holds: `rows[owners[t]]` is grid token `t`'s part.
    package func shares(of pool: AttentionPool) -> (rows: [Float], owners: [Int]) {
        let count = view.resolution.tokenCount, d = rows.count / count, dh = d / heads
        let owners = view.tokenOwners
        var held = [Int](repeating: 0, count: count)
        for owner in owners { held[owner] += 1 }
        var weights = scores, shares = rows
        weights.withUnsafeMutableBufferPointer { pool.weights(replacing: $0.baseAddress!, count: count, scoreOffset: scoreOffset) }
        for u in 0..<count {
            for c in 0..<d { shares[u * d + c] *= weights[u * heads + c / dh] / Float(held[u]) }
        }
        return (shares, owners)
    }
}

extension ModelArchitecture {
    /// What a coarse view's pooling scores are raised by: `balance · log(N / Nview)`. At 1 the
    /// view's tokens weigh together as much as the grid's `N` when their scores match; at 0
    /// each counts as one grid token; at 0.5, the default, the view weighs `√(N / Nview)` times
    /// its token count (MODEL.md §9.4).
    package func coarseViewScoreOffset(gridTokens: Int, viewTokens: Int) -> Float {
        Float(coarseViewBalance * log(Double(gridTokens) / Double(viewTokens)))
    }
}

extension AttentionPool {
    /// Adds a coarse view's rows to the pool.
    package mutating func add(_ view: CoarseViewReading) {
        view.rows.withUnsafeBufferPointer { rows in
            view.scores.withUnsafeBufferPointer { scores in
                add(rows.baseAddress!, scores: scores.baseAddress!, count: view.view.resolution.tokenCount,
                    scoreOffset: view.scoreOffset)
            }
        }
    }
}

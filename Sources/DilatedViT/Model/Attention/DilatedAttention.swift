import CKernels

/// Dilated multi-head attention (MODEL.md §5), written into `output` (`N × D`).
///
/// Every window lies inside one `S × S` tile of the grid, `S` the least common multiple of
/// the segments, so (tile, head) pairs are independent and run in parallel. Each pair runs
/// all levels back to back while the tile's rows of that head — a few hundred kilobytes —
/// stay in cache; sweeping the whole grid once per level instead fell from 26 to 12 GFLOP/s
/// once a band's q/k/v outgrew the cache. Each window runs in one native kernel call
/// (`ck_window_attention`): its queries absorb its keys with online softmax straight into
/// per-(token, head) running states, which also merge the levels. Extra memory: two
/// `N × H` floats besides `output`. `windowKernel` is the dispatching native kernel; tests
/// pass `ck_window_attention_baseline` to cover the clone CPUs without AVX2 run.
func dilatedAttention(_ problem: AttentionProblem, levels: [AttentionLevel],
                      output: UnsafeMutablePointer<Float>,
                      windowKernel: WindowAttentionKernel = ck_window_attention) {
    let n = problem.tokenCount, heads = problem.heads, dh = problem.headDimension
    let dimension = problem.dimension
    let maxima = UnsafeMutablePointer<Float>.allocate(capacity: n * heads)
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: n * heads)
    defer { maxima.deallocate(); sums.deallocate() }
    maxima.initialize(repeating: -.infinity, count: n * heads)
    sums.initialize(repeating: 0, count: n * heads)
    output.initialize(repeating: 0, count: n * dimension)

    let geometry = levels.map { level in
        (0..<heads).map { DilatedWindows(level: level, head: $0, gridRows: problem.rows, gridColumns: problem.columns) }
    }
    let capacity = levels.map {
        DilatedWindows.capacity(level: $0, gridRows: problem.rows, gridColumns: problem.columns)
    }.max() ?? 0
    let tileSide = max(1, windowTileSide(levels, atMost: max(problem.rows, problem.columns)))
    let tileColumns = (problem.columns + tileSide - 1) / tileSide
    let tileCount = (problem.rows + tileSide - 1) / tileSide * tileColumns

    parallelChunks(tileCount * heads) { items in
        let tokens = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: ck_window_attention_scratch_count(capacity, dh))
        defer { tokens.deallocate(); scratch.deallocate() }
        for item in items {
            let tile = item / heads, head = item % heads, column = head * dh
            let top = tile / tileColumns * tileSide, left = tile % tileColumns * tileSide
            let bottom = min(top + tileSide, problem.rows), right = min(left + tileSide, problem.columns)
            for (level, windows) in zip(levels, geometry) {
                let s = level.segment
                for segmentRow in top / s..<(bottom + s - 1) / s {
                    for segmentColumn in left / s..<(right + s - 1) / s {
                        let count = windows[head].tokens(inSegmentRow: segmentRow, column: segmentColumn,
                                                         gridColumns: problem.columns, into: tokens)
                        windowKernel(count, tokens,
                                     problem.queries + column, problem.keys + column, problem.values + column,
                                     problem.rowStride, dh, problem.scale,
                                     maxima + head, sums + head, heads,
                                     output + column, dimension, scratch)
                    }
                }
            }
            // Normalise while the tile is in cache: o = Σ_l exp(lse_l − M)·o_l / Σ_l exp(lse_l − M).
            // A token no level selected (impossible when the first level has dilation 1)
            // keeps a zero output.
            for y in top..<bottom {
                for x in left..<right {
                    let t = y * problem.columns + x
                    let sum = sums[t * heads + head]
                    let inverse: Float = sum > 0 ? 1 / sum : 0
                    let row = output + t * dimension + column
                    for d in 0..<dh { row[d] *= inverse }
                }
            }
        }
    }
}

/// The C signature of `ck_window_attention` and its baseline twin.
package typealias WindowAttentionKernel = @convention(c) (
    Int, UnsafePointer<Int>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?,
    Int, Int, Float, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, Int,
    UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Float>?) -> Void

/// Runs the attention core (no projections) in `mode`: dense attention is the walker's
/// one-level case (`attentionLevels`).
func multiHeadAttention(_ problem: AttentionProblem, mode: AttentionMode, levels: [AttentionLevel],
                        output: UnsafeMutablePointer<Float>) {
    WindowWalker(problem, mode: mode, levels: levels).forward(problem, output: output)
}

/// The attention core on separate `N × D` query, key and value matrices of a
/// `rows × columns` grid: heads are contiguous `D/heads`-wide slices, scale `dh^-1/2`.
/// Returns the `N × D` output. The model itself calls the pointer-based kernels on its
/// qkv buffer; this entry point serves tests and reference comparisons.
package func attention(queries: [Float], keys: [Float], values: [Float],
                      rows: Int, columns: Int, heads: Int,
                      levels: [AttentionLevel], mode: AttentionMode) -> [Float] {
    let n = rows * columns
    precondition(n > 0 && heads > 0 && queries.count % (n * heads) == 0,
                 "attention: \(queries.count) query values do not split into \(n) tokens × \(heads) heads")
    precondition(keys.count == queries.count && values.count == queries.count)
    let dimension = queries.count / n
    var output = [Float](repeating: 0, count: n * dimension)
    queries.withUnsafeBufferPointer { q in
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                output.withUnsafeMutableBufferPointer { o in
                    let problem = AttentionProblem(
                        queries: q.baseAddress!, keys: k.baseAddress!, values: v.baseAddress!,
                        rowStride: dimension, rows: rows, columns: columns,
                        heads: heads, headDimension: dimension / heads)
                    multiHeadAttention(problem, mode: mode, levels: levels, output: o.baseAddress!)
                }
            }
        }
    }
    return output
}

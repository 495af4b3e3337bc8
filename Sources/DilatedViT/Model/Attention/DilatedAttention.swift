/// Dilated multi-head attention (MODEL.md §5), written into `output` (`N × D`).
///
/// Levels run one after another; within a level, (head, window) pairs run in parallel —
/// they write disjoint (token, head) states, since one head's windows are disjoint.
/// Each window's q/k/v rows are gathered once into contiguous scratch, then its queries
/// absorb its keys with online softmax straight into per-(token, head) running states,
/// which also merge the levels. Extra memory: two `N × H` floats besides `output`.
func dilatedAttention(_ problem: AttentionProblem, levels: [AttentionLevel],
                      output: UnsafeMutablePointer<Float>) {
    let n = problem.tokenCount, heads = problem.heads, dh = problem.headDimension
    let dimension = problem.dimension
    let maxima = UnsafeMutablePointer<Float>.allocate(capacity: n * heads)
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: n * heads)
    defer { maxima.deallocate(); sums.deallocate() }
    maxima.initialize(repeating: -.infinity, count: n * heads)
    sums.initialize(repeating: 0, count: n * heads)
    output.initialize(repeating: 0, count: n * dimension)

    for level in levels {
        let geometry = (0..<heads).map {
            DilatedWindows(level: level, head: $0, gridRows: problem.rows, gridColumns: problem.columns)
        }
        // Flatten (head, window) so the parallel split balances heads with few windows.
        var firstItem = [0]
        for windows in geometry { firstItem.append(firstItem.last! + windows.count) }
        let capacity = DilatedWindows.capacity(level: level, gridRows: problem.rows, gridColumns: problem.columns)

        parallelChunks(firstItem.last!) { items in
            let scratch = AttentionScratch(capacity: capacity, headDimension: dh)
            defer { scratch.deallocate() }
            let dhp = scratch.paddedHeadDimension
            var head = 0
            for item in items {
                while item >= firstItem[head + 1] { head += 1 }
                let count = geometry[head].tokens(ofWindow: item - firstItem[head],
                                                  gridColumns: problem.columns, into: scratch.tokens)
                scratch.gather(problem, head: head, count: count)
                // Load the tokens' running states for this head, absorb the window, store back.
                for i in 0..<count {
                    let state = scratch.tokens[i] * heads + head
                    scratch.states.maxima[i] = maxima[state]
                    scratch.states.sums[i] = sums[state]
                    let row = output + scratch.tokens[i] * dimension + head * dh
                    let accumulator = scratch.states.accumulators + i * dhp
                    accumulator.update(from: row, count: dh)
                }
                absorbKeys(queries: scratch.queries, queryCount: count,
                           keysTransposed: scratch.keysTransposed, keyStride: scratch.keyStride,
                           keyCount: count, values: scratch.values,
                           headDimension: dh, paddedHeadDimension: dhp,
                           scores: scratch.scores, states: scratch.states)
                for i in 0..<count {
                    let state = scratch.tokens[i] * heads + head
                    maxima[state] = scratch.states.maxima[i]
                    sums[state] = scratch.states.sums[i]
                    let row = output + scratch.tokens[i] * dimension + head * dh
                    row.update(from: scratch.states.accumulators + i * dhp, count: dh)
                }
            }
        }
    }

    // Normalise: o = Σ_l exp(lse_l − M)·o_l / Σ_l exp(lse_l − M). A token no level
    // selected (impossible when the first level has dilation 1) keeps a zero output.
    parallelChunks(n, chunksPerWorker: 1) { tokens in
        for t in tokens {
            for h in 0..<heads {
                let sum = sums[t * heads + h]
                let inverse: Float = sum > 0 ? 1 / sum : 0
                let row = output + t * dimension + h * dh
                for d in 0..<dh { row[d] *= inverse }
            }
        }
    }
}

/// Plain multi-head softmax attention over all tokens, written into `output` (`N × D`).
///
/// Never forms the `N × N` score matrix: keys and values of every head are gathered
/// once (an `N × D`-sized copy), then blocks of 64 queries per head absorb all keys
/// with online softmax, chunk by chunk. (head, query block) pairs run in parallel.
func denseAttention(_ problem: AttentionProblem, output: UnsafeMutablePointer<Float>) {
    let n = problem.tokenCount, heads = problem.heads, dh = problem.headDimension
    let dimension = problem.dimension
    let blockLength = 64
    let blocksPerHead = (n + blockLength - 1) / blockLength

    // One scratch per head holding all N tokens' (scaled) queries, keys and values,
    // shared read-only by the query blocks.
    let keyScratch = (0..<heads).map { _ in AttentionScratch(capacity: n, headDimension: dh, withStates: false) }
    defer { keyScratch.forEach { $0.deallocate() } }
    parallelFor(heads) { head in
        let scratch = keyScratch[head]
        for t in 0..<n { scratch.tokens[t] = t }
        scratch.gather(problem, head: head, count: n)
    }

    parallelChunks(heads * blocksPerHead) { items in
        let local = AttentionScratch(capacity: blockLength, headDimension: dh)
        defer { local.deallocate() }
        let dhp = local.paddedHeadDimension
        for item in items {
            let head = item / blocksPerHead
            let start = (item % blocksPerHead) * blockLength
            let count = min(blockLength, n - start)
            let keys = keyScratch[head]
            local.states.maxima.update(repeating: -.infinity, count: count)
            local.states.sums.update(repeating: 0, count: count)
            local.states.accumulators.update(repeating: 0, count: count * dhp)
            absorbKeys(queries: keys.queries + start * dhp, queryCount: count,
                       keysTransposed: keys.keysTransposed, keyStride: keys.keyStride,
                       keyCount: n, values: keys.values,
                       headDimension: dh, paddedHeadDimension: dhp,
                       scores: local.scores, states: local.states)
            for i in 0..<count {
                let inverse = 1 / local.states.sums[i]
                let accumulator = local.states.accumulators + i * dhp
                let row = output + (start + i) * dimension + head * dh
                for d in 0..<dh { row[d] = accumulator[d] * inverse }
            }
        }
    }
}

import Foundation

/// Keys are consumed in chunks of this many: the score row and a chunk of transposed
/// keys (`dh × 512`) stay in L1/L2 however long the key sequence.
let keyChunkLength = 512

/// Running softmax state of a block of queries over the keys seen so far.
///
/// For query `i`: `maxima[i]` is the largest score seen, `sums[i] = Σ exp(score − max)`,
/// and `accumulators[i·dhp ..]` holds `Σ exp(score − max)·v` (unnormalised). Absorbing
/// more keys rescales by `exp(oldMax − newMax)`. The same rule merges dilated levels:
/// keeping one state per token and head across levels yields `Σ_l w_l·o_l` with
/// `w = softmax_l(lse_l)`, since `o_l·exp(lse_l)` is exactly level l's unnormalised sum.
struct SoftmaxStates {
    let maxima: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let accumulators: UnsafeMutablePointer<Float>
}

/// Per-worker buffers for one block of queries and its keys.
struct AttentionScratch {
    package let capacity: Int
    let paddedHeadDimension: Int
    /// Gathered, pre-scaled queries, `capacity × dhp`.
    let queries: UnsafeMutablePointer<Float>
    /// Gathered keys transposed, `dh × roundUp(capacity)`: 16 keys' feature d are adjacent,
    /// so scores of 16 keys are one broadcast-FMA per feature, no horizontal sums.
    let keysTransposed: UnsafeMutablePointer<Float>
    let keyStride: Int
    /// Gathered values, `capacity × dhp`.
    let values: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>
    /// Running states of `capacity` queries (empty when `withStates` was false).
    let states: SoftmaxStates
    package let tokens: UnsafeMutablePointer<Int>

    init(capacity: Int, headDimension: Int, withStates: Bool = true) {
        self.capacity = capacity
        paddedHeadDimension = roundUpToVector(headDimension)
        keyStride = roundUpToVector(capacity)
        func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        queries = zeroed(capacity * paddedHeadDimension)
        keysTransposed = zeroed(headDimension * keyStride)
        values = zeroed(capacity * paddedHeadDimension)
        // Scores hold one key chunk, whatever the query capacity (dense blocks absorb all N keys).
        scores = zeroed(roundUpToVector(keyChunkLength))
        let stateCapacity = withStates ? capacity : 0
        states = SoftmaxStates(maxima: zeroed(stateCapacity), sums: zeroed(stateCapacity),
                               accumulators: zeroed(stateCapacity * paddedHeadDimension))
        tokens = .allocate(capacity: capacity)
    }

    func deallocate() {
        for pointer in [queries, keysTransposed, values, scores, states.maxima, states.sums, states.accumulators] {
            pointer.deallocate()
        }
        tokens.deallocate()
    }

    /// Copies head `head` of the query/key/value rows of `tokens[0..<count]` into the
    /// buffers, scaling queries by `dh^-1/2`. Key padding columns stay zero.
    func gather(_ problem: AttentionProblem, head: Int, count: Int) {
        let dh = problem.headDimension, dhp = paddedHeadDimension
        let column = head * dh, scale = problem.scale
        for i in 0..<count {
            let row = tokens[i] * problem.rowStride + column
            let q = problem.queries + row, k = problem.keys + row, v = problem.values + row
            let qOut = queries + i * dhp, vOut = values + i * dhp
            for d in 0..<dh {
                qOut[d] = q[d] * scale
                vOut[d] = v[d]
                keysTransposed[d * keyStride + i] = k[d]
            }
        }
    }
}

/// Absorbs `keyCount` keys into the states of `queryCount` queries, chunk by chunk.
///
/// `queries` and `values` are rows of stride `dhp` (zero padded past `dh`);
/// `keysTransposed` has row stride `keyStride` and zero padding up to a vector multiple.
func absorbKeys(queries: UnsafePointer<Float>, queryCount: Int,
                keysTransposed: UnsafePointer<Float>, keyStride: Int, keyCount: Int,
                values: UnsafePointer<Float>,
                headDimension dh: Int, paddedHeadDimension dhp: Int,
                scores: UnsafeMutablePointer<Float>, states: SoftmaxStates) {
    var chunkStart = 0
    while chunkStart < keyCount {
        let count = min(keyChunkLength, keyCount - chunkStart)
        for i in 0..<queryCount {
            absorbChunk(query: queries + i * dhp, keysTransposed: keysTransposed + chunkStart,
                        keyStride: keyStride, keyCount: count, values: values + chunkStart * dhp,
                        headDimension: dh, paddedHeadDimension: dhp, scores: scores,
                        maximum: &states.maxima[i], sum: &states.sums[i],
                        accumulator: states.accumulators + i * dhp)
        }
        chunkStart += count
    }
}

/// One query against one chunk of keys: scores, online-softmax rescale, weighted values.
///
/// The loops keep four independent accumulators: a single running sum would be a chain
/// of dependent multiply-adds, limited by their latency rather than throughput.
@inline(__always)
private func absorbChunk(query q: UnsafePointer<Float>,
                         keysTransposed kt: UnsafePointer<Float>, keyStride: Int, keyCount: Int,
                         values v: UnsafePointer<Float>,
                         headDimension dh: Int, paddedHeadDimension dhp: Int,
                         scores: UnsafeMutablePointer<Float>,
                         maximum: inout Float, sum: inout Float,
                         accumulator o: UnsafeMutablePointer<Float>) {
    let w = floatVectorWidth
    let paddedCount = roundUpToVector(keyCount)
    computeScores(query: q, keysTransposed: kt, keyStride: keyStride, paddedCount: paddedCount,
                  headDimension: dh, into: scores)
    // Lanes past the last key read zero padding (or the next chunk's keys): mask them.
    for j in keyCount..<paddedCount { scores[j] = -.infinity }

    var chunkMaximum = FloatVector(repeating: -.infinity)
    var j = 0
    while j < paddedCount { chunkMaximum = lanewiseMax(chunkMaximum, scores.loadVector(at: j)); j += w }
    var newMaximum = maximum
    for lane in 0..<w { newMaximum = max(newMaximum, chunkMaximum[lane]) }
    // exp(−∞) is 0: the first chunk simply starts the sums.
    let rescale = expf(maximum - newMaximum)
    var chunkSum = FloatVector()
    j = 0
    while j < paddedCount {
        let p = exponential(scores.loadVector(at: j) - newMaximum)
        scores.storeVector(p, at: j)
        chunkSum += p
        j += w
    }
    sum = sum * rescale + chunkSum.sum()
    maximum = newMaximum

    var c = 0
    while c < dhp {
        var a0 = o.loadVector(at: c) * rescale, a1 = FloatVector(), a2 = FloatVector(), a3 = FloatVector()
        var key = 0
        while key + 4 <= keyCount {
            let row = v + key * dhp + c
            a0 += scores[key] * row.loadVector(at: 0)
            a1 += scores[key + 1] * row.loadVector(at: dhp)
            a2 += scores[key + 2] * row.loadVector(at: 2 * dhp)
            a3 += scores[key + 3] * row.loadVector(at: 3 * dhp)
            key += 4
        }
        while key < keyCount { a0 += scores[key] * v.loadVector(at: key * dhp + c); key += 1 }
        o.storeVector((a0 + a1) + (a2 + a3), at: c)
        c += w
    }
}

/// `scores[j] = q · k_j` for `j < paddedCount` (a multiple of the vector width), keys
/// stored transposed: each feature `d` contributes one broadcast multiply-add per 16 keys.
@inline(__always)
private func computeScores(query q: UnsafePointer<Float>, keysTransposed kt: UnsafePointer<Float>,
                           keyStride: Int, paddedCount: Int, headDimension dh: Int,
                           into scores: UnsafeMutablePointer<Float>) {
    let w = floatVectorWidth
    var j = 0
    // Four key vectors at a time share each broadcast of q[d].
    while j + 4 * w <= paddedCount {
        var s0 = FloatVector(), s1 = FloatVector(), s2 = FloatVector(), s3 = FloatVector()
        for d in 0..<dh {
            let qd = q[d]
            let row = kt + d * keyStride + j
            s0 += qd * row.loadVector(at: 0)
            s1 += qd * row.loadVector(at: w)
            s2 += qd * row.loadVector(at: 2 * w)
            s3 += qd * row.loadVector(at: 3 * w)
        }
        scores.storeVector(s0, at: j)
        scores.storeVector(s1, at: j + w)
        scores.storeVector(s2, at: j + 2 * w)
        scores.storeVector(s3, at: j + 3 * w)
        j += 4 * w
    }
    // Remaining key vectors (all of a small window): split the features four ways instead.
    while j < paddedCount {
        var s0 = FloatVector(), s1 = FloatVector(), s2 = FloatVector(), s3 = FloatVector()
        var d = 0
        while d + 4 <= dh {
            let row = kt + d * keyStride + j
            s0 += q[d] * row.loadVector(at: 0)
            s1 += q[d + 1] * row.loadVector(at: keyStride)
            s2 += q[d + 2] * row.loadVector(at: 2 * keyStride)
            s3 += q[d + 3] * row.loadVector(at: 3 * keyStride)
            d += 4
        }
        while d < dh { s0 += q[d] * kt.loadVector(at: d * keyStride + j); d += 1 }
        scores.storeVector((s0 + s1) + (s2 + s3), at: j)
        j += w
    }
}

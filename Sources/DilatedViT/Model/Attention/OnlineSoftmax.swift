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
    let capacity: Int
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
    let tokens: UnsafeMutablePointer<Int>

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
@inline(__always)
private func absorbChunk(query q: UnsafePointer<Float>,
                         keysTransposed kt: UnsafePointer<Float>, keyStride: Int, keyCount: Int,
                         values v: UnsafePointer<Float>,
                         headDimension dh: Int, paddedHeadDimension dhp: Int,
                         scores: UnsafeMutablePointer<Float>,
                         maximum: inout Float, sum: inout Float,
                         accumulator o: UnsafeMutablePointer<Float>) {
    let paddedCount = roundUpToVector(keyCount)
    var chunkMaximum = FloatVector(repeating: -.infinity)
    var j = 0
    while j < paddedCount {
        var score = FloatVector()
        for d in 0..<dh {
            score.addProduct(FloatVector(repeating: q[d]), kt.loadVector(at: d * keyStride + j))
        }
        if j + floatVectorWidth > keyCount {
            // Lanes past the last key read zero padding (or the next chunk's keys): mask them.
            let lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
            score.replace(with: -.infinity, where: lane .>= Int32(keyCount - j))
        }
        scores.storeVector(score, at: j)
        chunkMaximum = pointwiseMax(chunkMaximum, score)
        j += floatVectorWidth
    }

    let newMaximum = max(maximum, chunkMaximum.max())
    // exp(−∞) is 0: the first chunk simply starts the sums.
    let rescale = expf(maximum - newMaximum)
    var chunkSum = FloatVector()
    j = 0
    while j < paddedCount {
        let p = exponential(scores.loadVector(at: j) - newMaximum)
        scores.storeVector(p, at: j)
        chunkSum += p
        j += floatVectorWidth
    }
    sum = sum * rescale + chunkSum.sum()
    maximum = newMaximum

    var c = 0
    while c < dhp {
        var accumulated = o.loadVector(at: c) * rescale
        for key in 0..<keyCount {
            accumulated.addProduct(FloatVector(repeating: scores[key]), v.loadVector(at: key * dhp + c))
        }
        o.storeVector(accumulated, at: c)
        c += floatVectorWidth
    }
}

import Foundation

// Attention forward (keeping the merged log-sum-exp) and backward for a batch of images
// that share one grid. Token rows are stacked image after image; q, k, v are the three
// D-wide parts of each `3D` qkv row (MODEL.md §5).
//
// Dense attention is dilated attention with one level whose segment covers the grid
// (MODEL.md §6), so both modes run through the same window machinery.
//
// Backward through the level merge: since `exp(lse_l)·o_l = Σ_{u∈S_l} exp(score)·V[u]`,
// the merged output is one softmax over the union of every level's key set (a key two
// levels select appears twice) with log-sum-exp `lse = log Σ_l exp(lse_l)`. The standard
// FlashAttention backward therefore applies entry by entry, with `P = exp(score − lse)`
// from the *merged* lse: `dV[u] += P·dO`, `dS = P ⊙ (dO·V[u] − Δ)` with
// `Δ = rowsum(dO ⊙ O)`, `dQ += τ·dS·K`, `dK += τ·dS·Q`. Each level's windows contribute
// their entries independently, so the backward walks the same (level, head, window)
// items as the forward.

/// The levels a mode attends over on a `rows × columns` grid.
func attentionLevels(mode: AttentionMode, levels: [AttentionLevel], rows: Int, columns: Int) -> [AttentionLevel] {
    switch mode {
    case .dilated: levels
    case .dense: [AttentionLevel(segment: max(rows, columns), dilation: 1)]
    }
}

/// A batch of attention problems on one grid: `images` stacks of `rows·columns` tokens.
struct BatchedAttention {
    let images: Int
    let rows: Int
    let columns: Int
    let heads: Int
    let headDimension: Int
    let levels: [AttentionLevel]

    var tokensPerImage: Int { rows * columns }
    var dimension: Int { heads * headDimension }

    /// The (image, head, window) items of one level, flattened so the parallel split
    /// balances heads with few windows.
    struct LevelItems {
        let windows: [DilatedWindows]
        /// `firstItem[h]`: the first item of head `h` within one image; the last entry is the total.
        let firstItem: [Int]
        let capacity: Int
        var itemsPerImage: Int { firstItem.last! }
    }

    func items(of level: AttentionLevel) -> LevelItems {
        let windows = (0..<heads).map { DilatedWindows(level: level, head: $0, gridRows: rows, gridColumns: columns) }
        var firstItem = [0]
        for w in windows { firstItem.append(firstItem.last! + w.count) }
        return LevelItems(windows: windows, firstItem: firstItem,
                          capacity: DilatedWindows.capacity(level: level, gridRows: rows, gridColumns: columns))
    }

    /// The single-image problem of image `image` in the stacked qkv rows.
    func problem(image: Int, qkv: UnsafePointer<Float>) -> AttentionProblem {
        let base = qkv + image * tokensPerImage * 3 * dimension
        return AttentionProblem(queries: base, keys: base + dimension, values: base + 2 * dimension,
                                rowStride: 3 * dimension, rows: rows, columns: columns,
                                heads: heads, headDimension: headDimension)
    }

    /// Runs `body(image, head, window)` for every item of `level`, in parallel.
    func forEachItem(of items: LevelItems, headDimension dh: Int, _ body: (AttentionScratch, Int, Int, Int) -> Void) {
        let perImage = items.itemsPerImage
        parallelChunks(images * perImage) { range in
            let scratch = AttentionScratch(capacity: items.capacity, headDimension: dh)
            defer { scratch.deallocate() }
            var head = 0
            for item in range {
                let image = item / perImage, local = item % perImage
                if local < items.firstItem[head] { head = 0 }
                while local >= items.firstItem[head + 1] { head += 1 }
                body(scratch, image, head, local - items.firstItem[head])
            }
        }
    }

    /// Forward: writes the merged output (`images·N × D`) and `logSumExp` (`images·N × H`,
    /// the merged log-sum-exp of each token and head).
    func forward(qkv: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 logSumExp: UnsafeMutablePointer<Float>) {
        let total = images * tokensPerImage, d = dimension, dh = headDimension
        // logSumExp holds the running maxima until the end.
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: total * heads)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: total * heads)
        logSumExp.update(repeating: -.infinity, count: total * heads)
        output.update(repeating: 0, count: total * d)

        for level in levels {
            let items = self.items(of: level)
            forEachItem(of: items, headDimension: dh) { scratch, image, head, window in
                let count = items.windows[head].tokens(ofWindow: window, gridColumns: columns, into: scratch.tokens)
                scratch.gather(problem(image: image, qkv: qkv), head: head, count: count)
                let dhp = scratch.paddedHeadDimension
                let firstToken = image * tokensPerImage
                for i in 0..<count {
                    let token = firstToken + scratch.tokens[i]
                    scratch.states.maxima[i] = logSumExp[token * heads + head]
                    scratch.states.sums[i] = sums[token * heads + head]
                    (scratch.states.accumulators + i * dhp).update(from: output + token * d + head * dh, count: dh)
                }
                absorbKeys(queries: scratch.queries, queryCount: count,
                           keysTransposed: scratch.keysTransposed, keyStride: scratch.keyStride,
                           keyCount: count, values: scratch.values,
                           headDimension: dh, paddedHeadDimension: dhp,
                           scores: scratch.scores, states: scratch.states)
                for i in 0..<count {
                    let token = firstToken + scratch.tokens[i]
                    logSumExp[token * heads + head] = scratch.states.maxima[i]
                    sums[token * heads + head] = scratch.states.sums[i]
                    (output + token * d + head * dh).update(from: scratch.states.accumulators + i * dhp, count: dh)
                }
            }
        }

        parallelChunks(total) { tokens in
            for t in tokens {
                for h in 0..<heads {
                    let state = t * heads + h
                    let sum = sums[state]
                    // Level 0 has dilation 1, so every (token, head) has a positive sum.
                    let inverse = 1 / sum
                    let row = output + t * d + h * dh
                    for c in 0..<dh { row[c] *= inverse }
                    logSumExp[state] += log(sum)
                }
            }
        }
    }

    /// Backward: given the forward's qkv, output and log-sum-exp and the output gradient
    /// `outputGradient` (`images·N × D`), writes `qkvGradient` (`images·N × 3D`).
    func backward(qkv: UnsafePointer<Float>, output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>, qkvGradient: UnsafeMutablePointer<Float>) {
        let total = images * tokensPerImage, d = dimension, dh = headDimension
        qkvGradient.update(repeating: 0, count: total * 3 * d)
        // Δ = rowsum(dO ⊙ O) per token and head.
        let delta = UnsafeMutablePointer<Float>.allocate(capacity: total * heads)
        defer { delta.deallocate() }
        parallelChunks(total) { tokens in
            for t in tokens {
                for h in 0..<heads {
                    let o = output + t * d + h * dh, g = outputGradient + t * d + h * dh
                    var sum: Float = 0
                    for c in 0..<dh { sum += o[c] * g[c] }
                    delta[t * heads + h] = sum
                }
            }
        }
        let scale = 1 / Float(dh).squareRoot()
        for level in levels {
            let items = self.items(of: level)
            let capacity = items.capacity
            parallelChunks(images * items.itemsPerImage) { range in
                let work = WindowBackwardScratch(capacity: capacity, headDimension: dh)
                defer { work.deallocate() }
                var head = 0
                for item in range {
                    let image = item / items.itemsPerImage, local = item % items.itemsPerImage
                    if local < items.firstItem[head] { head = 0 }
                    while local >= items.firstItem[head + 1] { head += 1 }
                    let count = items.windows[head].tokens(ofWindow: local - items.firstItem[head],
                                                           gridColumns: columns, into: work.tokens)
                    let firstToken = image * tokensPerImage
                    for i in 0..<count { work.tokens[i] += firstToken }
                    work.run(count: count, head: head, heads: heads, headDimension: dh, scale: scale,
                             qkv: qkv, outputGradient: outputGradient, logSumExp: logSumExp, delta: delta,
                             qkvGradient: qkvGradient)
                }
            }
        }
    }
}

/// Per-worker buffers of the window backward: q (scaled), k and dO gathered as rows of
/// stride `dhp`, k and v transposed (`dh × keyStride`) so a query's row of scores is a
/// handful of broadcast multiply-adds, and the window's P and dS (`capacity × keyStride`;
/// for dense attention that is `N²` floats per worker, fine for the small grids it serves).
private struct WindowBackwardScratch {
    let capacity: Int
    let dhp: Int
    let keyStride: Int
    let queries, keys, outputGradients: UnsafeMutablePointer<Float>
    let keysTransposed, valuesTransposed: UnsafeMutablePointer<Float>
    let probabilities, scoreGradients: UnsafeMutablePointer<Float>
    let tokens: UnsafeMutablePointer<Int>

    init(capacity: Int, headDimension: Int) {
        self.capacity = capacity
        dhp = roundUpToVector(headDimension)
        keyStride = roundUpToVector(capacity)
        func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        queries = zeroed(capacity * dhp)
        keys = zeroed(capacity * dhp)
        outputGradients = zeroed(capacity * dhp)
        keysTransposed = zeroed(headDimension * keyStride)
        valuesTransposed = zeroed(headDimension * keyStride)
        probabilities = zeroed(capacity * keyStride)
        scoreGradients = zeroed(capacity * keyStride)
        tokens = .allocate(capacity: capacity)
    }

    func deallocate() {
        for pointer in [queries, keys, outputGradients,
                        keysTransposed, valuesTransposed, probabilities, scoreGradients] {
            pointer.deallocate()
        }
        tokens.deallocate()
    }

    /// The backward of one (head, window) of `count` tokens (`tokens` are stacked rows).
    func run(count: Int, head: Int, heads: Int, headDimension dh: Int, scale: Float,
             qkv: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
             logSumExp: UnsafePointer<Float>, delta: UnsafePointer<Float>,
             qkvGradient: UnsafeMutablePointer<Float>) {
        let d = heads * dh, w = floatVectorWidth
        let paddedCount = roundUpToVector(count)
        // Gather; transposed columns past `count` are zero from the previous windows'
        // cleanup below (or from allocation).
        for i in 0..<count {
            let row = qkv + tokens[i] * 3 * d + head * dh
            let gradient = outputGradient + tokens[i] * d + head * dh
            for c in 0..<dh {
                queries[i * dhp + c] = row[c] * scale
                keys[i * dhp + c] = row[d + c]
                keysTransposed[c * keyStride + i] = row[d + c]
                valuesTransposed[c * keyStride + i] = row[2 * d + c]
                outputGradients[i * dhp + c] = gradient[c]
            }
        }

        // Pass 1, per query row: P and dS for all keys (16 keys per vector), then dQ.
        for i in 0..<count {
            let state = tokens[i] * heads + head
            let lse = logSumExp[state], deltaI = delta[state]
            let q = queries + i * dhp, g = outputGradients + i * dhp
            let pRow = probabilities + i * keyStride, dsRow = scoreGradients + i * keyStride
            var j = 0
            while j < paddedCount {
                var s = FloatVector(), dp = FloatVector()
                for c in 0..<dh {
                    s += q[c] * keysTransposed.loadVector(at: c * keyStride + j)
                    dp += g[c] * valuesTransposed.loadVector(at: c * keyStride + j)
                }
                // Merged lse ≥ every score of the token, so the argument is ≤ 0.
                let p = exponential(s - lse)
                pRow.storeVector(p, at: j)
                dsRow.storeVector(p * (dp - deltaI), at: j)
                j += w
            }
            // dQ_i = τ·Σ_j dS_ij·K_j (q was pre-scaled, k was not).
            let dq = qkvGradient + tokens[i] * 3 * d + head * dh
            var c = 0
            while c < dhp {
                var accumulator = FloatVector()
                for j in 0..<count { accumulator += dsRow[j] * keys.loadVector(at: j * dhp + c) }
                let scaled = accumulator * scale
                for lane in 0..<min(w, dh - c) { dq[c + lane] += scaled[lane] }
                c += w
            }
        }
        // Pass 2, per key: dK_j = Σ_i dS_ij·q̃_i and dV_j = Σ_i P_ij·dO_i, accumulated in registers.
        for j in 0..<count {
            let row = qkvGradient + tokens[j] * 3 * d + head * dh
            var c = 0
            while c < dhp {
                var dk = FloatVector(), dv = FloatVector()
                for i in 0..<count {
                    dk += scoreGradients[i * keyStride + j] * queries.loadVector(at: i * dhp + c)
                    dv += probabilities[i * keyStride + j] * outputGradients.loadVector(at: i * dhp + c)
                }
                for lane in 0..<min(w, dh - c) {
                    row[d + c + lane] += dk[lane]
                    row[2 * d + c + lane] += dv[lane]
                }
                c += w
            }
        }
        for j in 0..<count {
            // Leave the transposed padding zero for the next window.
            for c in 0..<dh {
                keysTransposed[c * keyStride + j] = 0
                valuesTransposed[c * keyStride + j] = 0
            }
        }
    }
}

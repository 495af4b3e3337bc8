import CKernels
import Foundation
import DilatedViT

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
    /// The native window kernels; tests swap in their baseline x86-64 clones.
    var kernels = WindowKernels.native

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

    /// Runs `body(tokens, count, head, scratch)` for every (image, head, window) item of
    /// `level` in parallel, with the window's stacked token rows in `tokens` and a
    /// worker's `scratchCount` floats of kernel scratch.
    func forEachWindow(of level: AttentionLevel, scratchCount: (_ capacity: Int) -> Int,
                       _ body: (_ tokens: UnsafeMutablePointer<Int>, _ count: Int, _ head: Int,
                                _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        let items = self.items(of: level)
        let perImage = items.itemsPerImage
        let scratchFloats = scratchCount(items.capacity)
        parallelChunks(images * perImage) { range in
            let tokens = UnsafeMutablePointer<Int>.allocate(capacity: items.capacity)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchFloats)
            defer { tokens.deallocate(); scratch.deallocate() }
            var head = 0
            for item in range {
                let image = item / perImage, local = item % perImage
                if local < items.firstItem[head] { head = 0 }
                while local >= items.firstItem[head + 1] { head += 1 }
                let count = items.windows[head].tokens(ofWindow: local - items.firstItem[head],
                                                       gridColumns: columns, into: tokens)
                for i in 0..<count { tokens[i] += image * tokensPerImage }
                body(tokens, count, head, scratch)
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

        let scale = 1 / Float(dh).squareRoot()
        for level in levels {
            forEachWindow(of: level, scratchCount: { ck_window_attention_scratch_count($0, dh) }) {
                tokens, count, head, scratch in
                let column = head * dh
                kernels.forward(count, tokens, qkv + column, qkv + d + column, qkv + 2 * d + column, 3 * d, dh, scale,
                                logSumExp + head, sums + head, heads, output + column, d, scratch)
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
            forEachWindow(of: level, scratchCount: { ck_window_attention_backward_scratch_count($0, dh) }) {
                tokens, count, head, scratch in
                let column = head * dh
                kernels.backward(count, tokens, qkv + column, qkv + d + column, qkv + 2 * d + column, 3 * d,
                                 outputGradient + column, d, logSumExp + head, delta + head, heads,
                                 qkvGradient + column, qkvGradient + d + column, qkvGradient + 2 * d + column,
                                 3 * d, dh, scale, scratch)
            }
        }
    }
}

/// The native window kernels of training, dispatching or baseline.
struct WindowKernels {
    let forward: WindowAttentionKernel
    let backward: WindowAttentionBackwardKernel

    static let native = WindowKernels(forward: ck_window_attention, backward: ck_window_attention_backward)
    static let baseline = WindowKernels(forward: ck_window_attention_baseline,
                                        backward: ck_window_attention_backward_baseline)
}

/// The C signature of `ck_window_attention_backward` and its baseline twin.
typealias WindowAttentionBackwardKernel = @convention(c) (
    Int, UnsafePointer<Int>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?, Int,
    UnsafePointer<Float>?, Int, UnsafePointer<Float>?, UnsafePointer<Float>?, Int,
    UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?,
    Int, Int, Float, UnsafeMutablePointer<Float>?) -> Void

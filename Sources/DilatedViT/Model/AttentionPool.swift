import Foundation

/// Attention pooling (MODEL.md §9.3), fed token blocks of final-LayerNorm rows `z` with their
/// scores `s = z·Wpoolᵀ + bpool` (`H` per token): per head `h`, weights
/// `a[t] = softmax_t(s[t][h])` over every token of the image, and
/// `f[c] = Σ_t a[t][h(c)]·z[t][c]` with `h(c) = c div dh`.
///
/// The softmax runs online, so blocks stream through once: a running maximum per head, and
/// the weight sum and weighted channel sums in double, rescaled when the maximum grows.
/// Inference and training pool through these same steps.
package struct AttentionPool {
    private let heads: Int
    private let headDimension: Int
    private var maxima: [Float]
    private var sums: [Double]
    private var totals: [Double]

    package init(heads: Int, dimension: Int) {
        self.heads = heads
        headDimension = dimension / heads
        maxima = [Float](repeating: -.infinity, count: heads)
        sums = [Double](repeating: 0, count: heads)
        totals = [Double](repeating: 0, count: dimension)
    }

    /// Adds `count` rows `z` (`count × D`) with their scores (`count × H`), each score raised
    /// by `scoreOffset` (a coarse view's rows: `ModelArchitecture.coarseViewScoreOffset`).
    package mutating func add(_ rows: UnsafePointer<Float>, scores: UnsafePointer<Float>, count: Int,
                              scoreOffset: Float = 0) {
        let d = totals.count, dh = headDimension
        for h in 0..<heads {
            var blockMaximum = -Float.infinity
            for t in 0..<count { blockMaximum = max(blockMaximum, scores[t * heads + h] + scoreOffset) }
            let maximum = max(maxima[h], blockMaximum)
            if maximum > maxima[h] && sums[h] > 0 {
                let rescale = Double(exp(maxima[h] - maximum))
                sums[h] *= rescale
                for c in h * dh..<(h + 1) * dh { totals[c] *= rescale }
            }
            maxima[h] = maximum
            for t in 0..<count {
                let weight = exp(scores[t * heads + h] + scoreOffset - maximum)
                sums[h] += Double(weight)
                let row = rows + t * d
                for c in h * dh..<(h + 1) * dh { totals[c] += Double(weight * row[c]) }
            }
        }
    }

    /// Combines the partial pools of every rank of `group` (a sequence-parallel read) into
    /// the pool of all their rows, on every rank: one gather of the running maxima, each
    /// rank's sums rescaled to the common maximum, one sum.
    package mutating func combine(in group: any ProcessGroup) {
        guard group.size > 1 else { return }
        var all = [Float](repeating: 0, count: heads * group.size)
        maxima.withUnsafeBufferPointer { mine in
            all.withUnsafeMutableBufferPointer {
                group.gather(mine, counts: Array(repeating: heads, count: group.size), into: $0)
            }
        }
        let dh = headDimension
        for h in 0..<heads {
            let maximum = stride(from: h, to: all.count, by: heads).map { all[$0] }.max()!
            let rescale = sums[h] > 0 ? Double(exp(maxima[h] - maximum)) : 0
            sums[h] *= rescale
            for c in h * dh..<(h + 1) * dh { totals[c] *= rescale }
            maxima[h] = maximum
        }
        var state = sums + totals
        group.sum(&state)
        sums = Array(state[..<heads])
        totals = Array(state[heads...])
    }

    /// The pooled `D`-vector `f` of every row added.
    package var pooled: [Float] {
        (0..<totals.count).map { Float(totals[$0] / sums[$0 / headDimension]) }
    }

    /// Overwrites `count` rows of scores (`count × H`), added with `scoreOffset`, with their
    /// final weights `a[t][h]`: valid once every token has been added.
    package func weights(replacing scores: UnsafeMutablePointer<Float>, count: Int, scoreOffset: Float = 0) {
        for t in 0..<count {
            for h in 0..<heads {
                scores[t * heads + h] = Float(Double(exp(scores[t * heads + h] + scoreOffset - maxima[h])) / sums[h])
            }
        }
    }
}

import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Attention written plainly from docs/MODEL.md §5, in double precision, one token at a time:
/// segments tiled over the full grid from the top-left, per-segment selection by position
/// relative to the segment origin, per-level softmax with its log-sum-exp, then the
/// levels merged by `softmax_l(lse_l)`. No sub-lattice shortcut, no online softmax.
enum AttentionReference {
    /// `q`, `k`, `v`: `N × D` row-major; heads are contiguous `D/heads` slices.
    static func dilated(q: [Float], k: [Float], v: [Float], rows: Int, columns: Int,
                        heads: Int, levels: [AttentionLevel]) -> [Double] {
        let n = rows * columns, d = q.count / n, dh = d / heads
        let scale = 1 / Double(dh).squareRoot()
        // Per token and head: (lse, output) of each level that selected it.
        var perLevel = [[(lse: Double, output: [Double])]](repeating: [], count: n * heads)
        for level in levels {
            let s = level.segment, r = level.dilation
            for h in 0..<heads {
                let j = h % (r * r)
                let oy = j / r, ox = j % r
                for segmentY in stride(from: 0, to: rows, by: s) {
                    for segmentX in stride(from: 0, to: columns, by: s) {
                        var selected: [Int] = []
                        for y in segmentY..<min(segmentY + s, rows) {
                            for x in segmentX..<min(segmentX + s, columns)
                            where (y - segmentY) % r == oy && (x - segmentX) % r == ox {
                                selected.append(y * columns + x)
                            }
                        }
                        for query in selected {
                            let (lse, output) = softmaxAttention(query: query, keys: selected, q: q, k: k, v: v,
                                                                 head: h, dh: dh, d: d, scale: scale)
                            perLevel[query * heads + h].append((lse, output))
                        }
                    }
                }
            }
        }
        var result = [Double](repeating: 0, count: n * d)
        for t in 0..<n {
            for h in 0..<heads {
                let entries = perLevel[t * heads + h]
                guard let largest = entries.map(\.lse).max() else { continue }
                let weights = entries.map { exp($0.lse - largest) }
                let total = weights.reduce(0, +)
                for (weight, entry) in zip(weights, entries) {
                    for c in 0..<dh { result[t * d + h * dh + c] += weight / total * entry.output[c] }
                }
            }
        }
        return result
    }

    /// Plain softmax attention of every token to every token.
    static func dense(q: [Float], k: [Float], v: [Float], tokens n: Int, heads: Int) -> [Double] {
        let d = q.count / n, dh = d / heads
        let scale = 1 / Double(dh).squareRoot()
        var result = [Double](repeating: 0, count: n * d)
        for t in 0..<n {
            for h in 0..<heads {
                let (_, output) = softmaxAttention(query: t, keys: Array(0..<n), q: q, k: k, v: v,
                                                   head: h, dh: dh, d: d, scale: scale)
                for c in 0..<dh { result[t * d + h * dh + c] = output[c] }
            }
        }
        return result
    }

    private static func softmaxAttention(query: Int, keys: [Int], q: [Float], k: [Float], v: [Float],
                                         head: Int, dh: Int, d: Int, scale: Double) -> (Double, [Double]) {
        let scores = keys.map { key in
            (0..<dh).reduce(0.0) { $0 + Double(q[query * d + head * dh + $1]) * Double(k[key * d + head * dh + $1]) } * scale
        }
        let largest = scores.max()!
        let exps = scores.map { exp($0 - largest) }
        let total = exps.reduce(0, +)
        var output = [Double](repeating: 0, count: dh)
        for (e, key) in zip(exps, keys) {
            for c in 0..<dh { output[c] += e / total * Double(v[key * d + head * dh + c]) }
        }
        return (largest + log(total), output)
    }
}

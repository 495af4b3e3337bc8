import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// The training loss written plainly in double precision from docs/MODEL.md, so
/// central finite differences of it (step 1e-4, truncation error ~1e-8 relative) serve as
/// exact gradients for the Float analytic backward.
enum TrainingReference {
    /// Dilated (or dense) attention by the definition: per level, per head, per segment,
    /// softmax over the selected keys with its log-sum-exp; levels merged by softmax_l(lse_l).
    /// `qkv` is `N × 3D` (`[q | k | v]` rows); returns `N × D`.
    static func attention(qkv: [Double], rows: Int, columns: Int, heads: Int, dimension d: Int,
                          levels: [AttentionLevel], mode: AttentionMode) -> [Double] {
        let n = rows * columns, dh = d / heads, scale = 1 / Double(dh).squareRoot()
        let used = mode == .dense ? [AttentionLevel(segment: max(rows, columns), dilation: 1)] : levels
        var perLevel = [[(lse: Double, output: [Double])]](repeating: [], count: n * heads)
        for level in used {
            let s = level.segment, r = level.dilation
            for h in 0..<heads {
                let j = h % (r * r), oy = j / r, ox = j % r
                for sy in stride(from: 0, to: rows, by: s) {
                    for sx in stride(from: 0, to: columns, by: s) {
                        var selected: [Int] = []
                        for y in sy..<min(sy + s, rows) {
                            for x in sx..<min(sx + s, columns) where (y - sy) % r == oy && (x - sx) % r == ox {
                                selected.append(y * columns + x)
                            }
                        }
                        for query in selected {
                            let scores = selected.map { key in
                                (0..<dh).reduce(0.0) { $0 + qkv[query * 3 * d + h * dh + $1] * qkv[key * 3 * d + d + h * dh + $1] } * scale
                            }
                            let largest = scores.max()!
                            let total = scores.reduce(0) { $0 + exp($1 - largest) }
                            var output = [Double](repeating: 0, count: dh)
                            for (score, key) in zip(scores, selected) {
                                for c in 0..<dh { output[c] += exp(score - largest) / total * qkv[key * 3 * d + 2 * d + h * dh + c] }
                            }
                            perLevel[query * heads + h].append((largest + log(total), output))
                        }
                    }
                }
            }
        }
        var result = [Double](repeating: 0, count: n * d)
        for t in 0..<n {
            for h in 0..<heads {
                let entries = perLevel[t * heads + h]
                let largest = entries.map(\.lse).max()!
                let total = entries.reduce(0) { $0 + exp($1.lse - largest) }
                for entry in entries {
                    let weight = exp(entry.lse - largest) / total
                    for c in 0..<dh { result[t * d + h * dh + c] += weight * entry.output[c] }
                }
            }
        }
        return result
    }

    static func linear(_ x: [Double], rows: Int, weight: [Double], bias: [Double]) -> [Double] {
        let outputs = bias.count, inputs = weight.count / outputs
        var y = [Double](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var sum = bias[o]
                for i in 0..<inputs { sum += x[r * inputs + i] * weight[o * inputs + i] }
                y[r * outputs + o] = sum
            }
        }
        return y
    }

    static func layerNorm(_ x: [Double], columns d: Int, weight: [Double], bias: [Double], epsilon: Double) -> [Double] {
        var y = x
        for r in 0..<x.count / d {
            let row = x[r * d..<(r + 1) * d]
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            for c in 0..<d { y[r * d + c] = (x[r * d + c] - mean) / (variance + epsilon).squareRoot() * weight[c] + bias[c] }
        }
        return y
    }

    static func gelu(_ u: Double) -> Double { 0.5 * u * (1 + erf(u / 2.0.squareRoot())) }

    /// Label-smoothed cross-entropy, mean over the batch.
    /// With `teacher` (`batch × classes` probabilities), each target is mixed
    /// `(1 − alpha)·smoothed one-hot + alpha·teacher row`.
    static func crossEntropy(logits: [Double], labels: [Int], smoothing: Double,
                             teacher: [Double]? = nil, alpha: Double = 0) -> Double {
        let classes = logits.count / labels.count
        var total = 0.0
        for (i, label) in labels.enumerated() {
            let row = Array(logits[i * classes..<(i + 1) * classes])
            let largest = row.max()!
            let logSum = largest + log(row.reduce(0) { $0 + exp($1 - largest) })
            for k in 0..<classes {
                var target = smoothing / Double(classes) + (k == label ? 1 - smoothing : 0)
                if let teacher { target = (1 - alpha) * target + alpha * teacher[i * classes + k] }
                total -= target * (row[k] - logSum)
            }
        }
        return total / Double(labels.count)
    }

    /// The mean loss of the whole model on `grids` (one grid size) with parameters `p`; a
    /// grid above the config's coarse-view budget is pooled with its view (MODEL.md §9.4).
    static func loss(config: ModelConfig, parameters p: [String: [Double]], grids: [PatchGrid], labels: [Int],
                     smoothing: Double, mode: AttentionMode) -> Double {
        var logits: [Double] = []
        for grid in grids {
            let z = finalRows(config: config, parameters: p, grid: grid, mode: mode)
            let pooled: [Double]
            if let view = CoarseView(of: grid, budget: config.coarseViewTokens) {
                let zv = finalRows(config: config, parameters: p, grid: view.grid, mode: mode)
                let n = grid.tokenCount, nv = view.resolution.tokenCount
                pooled = pool(z + zv, tokens: n + nv, config: config, parameters: p,
                              scoreOffsets: Array(repeating: 0, count: n)
                                + Array(repeating: config.coarseViewBalance * log(Double(n) / Double(nv)), count: nv))
            } else {
                pooled = pool(z, tokens: grid.tokenCount, config: config, parameters: p)
            }
            logits += linear(pooled, rows: 1, weight: p["head.weight"]!, bias: p["head.bias"]!)
        }
        return crossEntropy(logits: logits, labels: labels, smoothing: smoothing)
    }

    /// The final LayerNorm's rows of `grid` (`N × D`).
    static func finalRows(config: ModelConfig, parameters p: [String: [Double]], grid: PatchGrid, mode: AttentionMode) -> [Double] {
        let d = config.dimension, rows = grid.rows, columns = grid.columns, n = rows * columns
        let eps = Double(config.layerNormEpsilon)
        let code = positionCode(config, rows: rows, columns: columns)
        // The level rule, from MODEL.md §9.1: double the last level until it covers the grid.
        var levels = config.levels
        while config.levelRule == .toGrid && levels.last!.segment < max(rows, columns) {
            levels.append(.init(segment: 2 * levels.last!.segment, dilation: 2 * levels.last!.dilation))
        }
        var x = switch config.patchEmbedding {
        case .linear:
            linear(grid.values.map(Double.init), rows: n, weight: p["patch_embed.proj.weight"]!,
                   bias: p["patch_embed.proj.bias"]!)
        case .hierarchicalMLP:
            StemReference.embed(grid.values.map(Double.init), tokens: n, config: config) { p[$0]! }
        }
        for i in x.indices { x[i] += code[i] }
        for block in 0..<config.depth {
            let b = "blocks.\(block)."
            let qkv = linear(layerNorm(x, columns: d, weight: p[b + "norm1.weight"]!, bias: p[b + "norm1.bias"]!, epsilon: eps),
                             rows: n, weight: p[b + "attn.qkv.weight"]!, bias: p[b + "attn.qkv.bias"]!)
            let attended = attention(qkv: qkv, rows: rows, columns: columns, heads: config.heads, dimension: d,
                                     levels: levels, mode: mode)
            let projected = linear(attended, rows: n, weight: p[b + "attn.proj.weight"]!, bias: p[b + "attn.proj.bias"]!)
            for i in x.indices { x[i] += projected[i] }
            let hidden = linear(layerNorm(x, columns: d, weight: p[b + "norm2.weight"]!, bias: p[b + "norm2.bias"]!, epsilon: eps),
                                rows: n, weight: p[b + "mlp.fc1.weight"]!, bias: p[b + "mlp.fc1.bias"]!).map(gelu)
            let mlp = linear(hidden, rows: n, weight: p[b + "mlp.fc2.weight"]!, bias: p[b + "mlp.fc2.bias"]!)
            for i in x.indices { x[i] += mlp[i] }
        }
        return layerNorm(x, columns: d, weight: p["norm.weight"]!, bias: p["norm.bias"]!, epsilon: eps)
    }

    /// The position code by its formula (MODEL.md §4 step 2, §9.2), in double.
    static func positionCode(_ config: ModelConfig, rows: Int, columns: Int) -> [Double] {
        let d = config.dimension, f = d / 4
        let scale = config.positionCode == .sinCos2D ? 1 : Double(config.positionSpan) / Double(max(rows, columns))
        var code = [Double](repeating: 0, count: rows * columns * d)
        for y in 0..<rows {
            for x in 0..<columns {
                let u = (Double(y) + 0.5) * scale - 0.5, v = (Double(x) + 0.5) * scale - 0.5
                for i in 0..<f {
                    let omega = 1 / pow(10000, Double(i) / Double(f)), t = (y * columns + x) * d
                    code[t + i] = sin(u * omega)
                    code[t + f + i] = cos(u * omega)
                    code[t + 2 * f + i] = sin(v * omega)
                    code[t + 3 * f + i] = cos(v * omega)
                }
            }
        }
        return code
    }

    /// Mean pooling, or attention pooling by its definition (MODEL.md §9.3): per head a
    /// softmax over tokens of `z·Wpoolᵀ + bpool` weights the head's channels.
    /// `scoreOffsets` (one per token; none: zeros) raise a coarse view's scores (§9.4).
    static func pool(_ z: [Double], tokens n: Int, config: ModelConfig, parameters p: [String: [Double]],
                     scoreOffsets: [Double]? = nil) -> [Double] {
        let d = config.dimension, dh = config.headDimension
        guard config.pooling == .attention else {
            return (0..<d).map { c in (0..<n).reduce(0.0) { $0 + z[$1 * d + c] } / Double(n) }
        }
        let scores = linear(z, rows: n, weight: p["pool.score.weight"]!, bias: p["pool.score.bias"]!)
        let offsets = scoreOffsets ?? Array(repeating: 0, count: n)
        return (0..<d).map { c in
            let h = c / dh, column = (0..<n).map { scores[$0 * config.heads + h] + offsets[$0] }
            let largest = column.max()!, total = column.reduce(0) { $0 + exp($1 - largest) }
            return (0..<n).reduce(0.0) { $0 + exp(column[$1] - largest) / total * z[$1 * d + c] }
        }
    }

    /// Central difference `(f(x + h) − f(x − h)) / 2h` of `f` at `values[index]`.
    static func centralDifference(_ values: [Double], at index: Int, step h: Double = 1e-4,
                                  _ f: ([Double]) -> Double) -> Double {
        var plus = values, minus = values
        plus[index] += h
        minus[index] -= h
        return (f(plus) - f(minus)) / (2 * h)
    }
}

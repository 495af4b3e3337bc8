import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// The whole model written plainly from docs/MODEL.md §2–6 (§4.1 for the hMLP stem) in double precision, reading the
/// weights by their PyTorch names: an independent check of the optimised forward pass.
enum ModelReference {
    static func logits(config: ModelConfig, tensors: [String: Tensor], grid: PatchGrid,
                       mode: AttentionMode) -> [Double] {
        let n = grid.tokenCount, d = config.dimension, f = d / 4
        func w(_ name: String) -> [Double] { tensors[name]!.values.map(Double.init) }
        // The plain double-precision layers that the training reference uses too.
        func linear(_ x: [Double], rows: Int, _ name: String) -> [Double] {
            TrainingReference.linear(x, rows: rows, weight: w(name + ".weight"), bias: w(name + ".bias"))
        }
        func layerNorm(_ x: [Double], _ name: String) -> [Double] {
            TrainingReference.layerNorm(x, columns: d, weight: w(name + ".weight"), bias: w(name + ".bias"),
                                        epsilon: Double(config.layerNormEpsilon))
        }

        var x = switch config.patchEmbedding {
        case .linear: linear(grid.values.map(Double.init), rows: n, "patch_embed.proj")
        case .hierarchicalMLP: StemReference.embed(grid.values.map(Double.init), tokens: n, config: config, parameter: w)
        }
        for y in 0..<grid.rows {
            for xx in 0..<grid.columns {
                for i in 0..<f {
                    let omega = 1 / pow(10000, Double(i) / Double(f))
                    let t = (y * grid.columns + xx) * d
                    x[t + i] += sin(Double(y) * omega)
                    x[t + f + i] += cos(Double(y) * omega)
                    x[t + 2 * f + i] += sin(Double(xx) * omega)
                    x[t + 3 * f + i] += cos(Double(xx) * omega)
                }
            }
        }
        for block in 0..<config.depth {
            let prefix = "blocks.\(block)."
            let qkv = linear(layerNorm(x, prefix + "norm1"), rows: n, prefix + "attn.qkv")
            // The attention reference takes Float inputs; its arithmetic is double.
            func part(_ k: Int) -> [Float] {
                var values: [Float] = []
                for t in 0..<n {
                    let start = t * 3 * d + k * d
                    for c in 0..<d { values.append(Float(qkv[start + c])) }
                }
                return values
            }
            let attended = switch mode {
            case .dilated:
                AttentionReference.dilated(q: part(0), k: part(1), v: part(2), rows: grid.rows,
                                           columns: grid.columns, heads: config.heads, levels: config.levels)
            case .dense:
                AttentionReference.dense(q: part(0), k: part(1), v: part(2), tokens: n, heads: config.heads)
            }
            let projected = linear(attended, rows: n, prefix + "attn.proj")
            for i in x.indices { x[i] += projected[i] }
            let hidden = linear(layerNorm(x, prefix + "norm2"), rows: n, prefix + "mlp.fc1")
                .map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
            let mlp = linear(hidden, rows: n, prefix + "mlp.fc2")
            for i in x.indices { x[i] += mlp[i] }
        }
        let normed = layerNorm(x, "norm")
        let pooled = (0..<d).map { c in (0..<n).reduce(0.0) { $0 + normed[$1 * d + c] } / Double(n) }
        return linear(pooled, rows: 1, "head")
    }
}

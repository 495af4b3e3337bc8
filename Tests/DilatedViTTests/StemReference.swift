import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// The hMLP stem (MODEL.md §4.1) written plainly in double precision: each stage is the
/// Conv2d definition on one patch's `(channel, y, x)` map, then LayerNorm over channels at
/// each position and the erf GELU. Independent of the engine's im2col layout.
enum StemReference {
    /// `tokens × D` embeddings (no position code) of `patches` (`tokens × 3p²`, `PatchGrid`
    /// order); `parameter(name)` returns a tensor's values.
    static func embed(_ patches: [Double], tokens: Int, config: ModelConfig,
                      parameter: (String) -> [Double]) -> [Double] {
        let p = config.patchSize, d = config.dimension, stages = p.trailingZeroBitCount
        let epsilon = Double(config.layerNormEpsilon)
        var embedded: [Double] = []
        for t in 0..<tokens {
            var map = Array(patches[t * 3 * p * p..<(t + 1) * 3 * p * p])
            var channels = 3, side = p
            for s in 0..<stages {
                let outputs = s == stages - 1 ? d : d / 4, half = side / 2
                let weight = parameter("stem.\(s).weight"), bias = parameter("stem.\(s).bias")
                var next = [Double](repeating: 0, count: outputs * half * half)
                for o in 0..<outputs {
                    for u in 0..<half {
                        for v in 0..<half {
                            var sum = bias[o]
                            for c in 0..<channels {
                                for a in 0..<2 {
                                    for b in 0..<2 {
                                        sum += weight[((o * channels + c) * 2 + a) * 2 + b]
                                            * map[(c * side + 2 * u + a) * side + 2 * v + b]
                                    }
                                }
                            }
                            next[(o * half + u) * half + v] = sum
                        }
                    }
                }
                if s < stages - 1 {
                    let normWeight = parameter("stem.\(s).norm.weight"), normBias = parameter("stem.\(s).norm.bias")
                    for position in 0..<half * half {
                        let values = (0..<outputs).map { next[$0 * half * half + position] }
                        let mean = values.reduce(0, +) / Double(outputs)
                        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(outputs)
                        for o in 0..<outputs {
                            let normalised = (values[o] - mean) / (variance + epsilon).squareRoot()
                            next[o * half * half + position] = TrainingReference.gelu(normalised * normWeight[o] + normBias[o])
                        }
                    }
                }
                map = next
                channels = outputs
                side = half
            }
            embedded += map
        }
        return embedded
    }
}

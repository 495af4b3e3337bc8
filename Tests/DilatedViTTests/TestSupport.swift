import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Uniform values in [-scale, scale) from a fixed seed.
func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in scale * generator.nextSigned() }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

/// A small valid config for tests.
func tinyConfig(dimension: Int = 32, depth: Int = 2, heads: Int = 4, patchSize: Int = 2,
                patchEmbedding: PatchEmbedding = .linear,
                levels: [AttentionLevel] = [.init(segment: 4, dilation: 1), .init(segment: 8, dilation: 2)],
                labels: [String] = ["a", "b", "c"]) -> ModelConfig {
    try! ModelConfig(dimension: dimension, depth: depth, heads: heads, patchSize: patchSize,
                     patchEmbedding: patchEmbedding, levels: levels, labels: labels)
}

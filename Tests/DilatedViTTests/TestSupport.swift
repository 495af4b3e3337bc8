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

extension [AttentionLevel] {
    /// Levels as (segment, dilation) pairs, the way docs/MODEL.md writes them: `.pairs((4, 1), (8, 2))`.
    static func pairs(_ pairs: (segment: Int, dilation: Int)...) -> Self {
        pairs.map { AttentionLevel(segment: $0.segment, dilation: $0.dilation) }
    }
}

/// The classifier of the `grid7x13` reference fixture (a small trained model), which the
/// classifier tests share.
let fixtureClassifier = try! SceneClassifier(contentsOf: ReferenceFixtureTests.root.appendingPathComponent("grid7x13"))

/// A small valid config for tests.
func tinyConfig(dimension: Int = 32, depth: Int = 2, heads: Int = 4, patchSize: Int = 2,
                patchEmbedding: PatchEmbedding = .linear,
                levels: [AttentionLevel] = .pairs((4, 1), (8, 2)),
                labels: [String] = ["a", "b", "c"]) -> ModelConfig {
    try! ModelConfig(dimension: dimension, depth: depth, heads: heads, patchSize: patchSize,
                     patchEmbedding: patchEmbedding, levels: levels, labels: labels)
}

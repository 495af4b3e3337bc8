import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// The training forward pass (stacked batch, saved activations) and the inference model
/// (token blocks, streaming attention) are separate code; on the same weights and grids
/// they must give the same logits.
@Suite struct TrainingParityTests {
    @Test(arguments: PatchEmbedding.allCases, AttentionMode.allCases)
    func trainingForwardEqualsInference(_ embedding: PatchEmbedding, _ mode: AttentionMode) {
        let config = tinyConfig(dimension: 24, heads: 3, patchSize: embedding == .linear ? 2 : 8, patchEmbedding: embedding,
                                levels: .pairs((2, 1), (4, 2)))
        let weights = ModelWeights(randomFor: config, seed: 61)
        let grids = (0..<3).map { i in
            PatchGrid(rows: 4, columns: 5, patchSize: config.patchSize,
                      values: randomValues(20 * config.patchFeatures, seed: 62 + UInt64(i)))
        }
        let training = TrainingModel(config: config, weights: weights, attention: mode)
        let batchLogits = training.logits(for: TrainingBatch(grids: grids, labels: [0, 1, 2]))
        // Token blocks of 7 make the inference stem and MLP run in several blocks.
        let inference = DilatedViTModel(config: config, weights: weights, tokenBlockLength: 7)
        let inferenceLogits = grids.flatMap { inference.logits(for: $0, attention: mode) }
        #expect(maxAbsDifference(batchLogits, inferenceLogits) < 1e-5)
    }

    /// Model v2 on a grid whose level rule adds two levels, band-split at inference (bands of
    /// 8 tokens) and with token blocks of 7, so attention pooling's online softmax spans blocks.
    @Test(arguments: AttentionMode.allCases)
    func version2TrainingForwardEqualsInference(_ mode: AttentionMode) {
        for coarseViewTokens in [0, 20] { version2TrainingForwardEqualsInference(mode, coarseViewTokens: coarseViewTokens) }
    }

    /// With `coarseViewTokens` 20, each 5×11 grid is pooled with its 3×6 view (MODEL.md §9.4).
    private func version2TrainingForwardEqualsInference(_ mode: AttentionMode, coarseViewTokens: Int) {
        var config = tinyConfig(dimension: 24, heads: 3, levels: [.init(segment: 2, dilation: 1), .init(segment: 4, dilation: 2)])
        config.levelRule = .toGrid
        config.positionCode = .sinCos2DNormalised
        config.pooling = .attention
        config.coarseViewTokens = coarseViewTokens
        let weights = ModelWeights(randomFor: config, seed: 63)
        let grids = (0..<2).map { i in
            PatchGrid(rows: 5, columns: 11, patchSize: 2, values: randomValues(55 * config.patchFeatures, seed: 64 + UInt64(i)))
        }
        let training = TrainingModel(config: config, weights: weights, attention: mode)
        let batchLogits = training.logits(for: TrainingBatch(grids: grids, labels: [0, 1]))
        let inference = DilatedViTModel(config: config, weights: weights, tokenBlockLength: 7, attentionBandTokens: 8)
        let inferenceLogits = grids.flatMap { inference.logits(for: $0, attention: mode) }
        #expect(maxAbsDifference(batchLogits, inferenceLogits) < 1e-5)
        // Explain's token rows still average to the logits under attention pooling.
        for grid in grids {
            let rows = inference.tokenLogits(for: grid, attention: mode), classes = config.classCount
            let mean = (0..<classes).map { c in (0..<grid.tokenCount).map { rows[$0 * classes + c] }.reduce(0, +) / Float(grid.tokenCount) }
            #expect(maxAbsDifference(mean, inference.logits(for: grid, attention: mode)) < 1e-4)
        }
    }
}

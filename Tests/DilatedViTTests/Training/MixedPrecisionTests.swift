import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Training with the Linear products in BF16 (fp32 sums, fp32 everything else) against the
/// fp32 step it approximates.
@Suite struct MixedPrecisionTests {
    /// One step on the same weights and batch. Rounding moves each product operand by up to
    /// 2⁻⁸ ≈ 3.9e-3 of itself; the errors of the products between the loss and a layer add up
    /// (about 15 for the first layers here), and batch sums that cancel (biases, LayerNorm
    /// parameters) magnify them relative to their small results. Measured: 2.1e-3 (linear)
    /// and 4.1e-3 (hMLP) over all gradients, at most 1.5e-2 for one stem bias; the bounds are
    /// 2⁻⁷ over all gradients and 2⁻⁵ per tensor, in norm.
    @Test(arguments: PatchEmbedding.allCases)
    func bf16StepStaysCloseToTheFP32Step(_ embedding: PatchEmbedding) {
        let config = tinyConfig(dimension: 32, depth: 2, heads: 4, patchSize: embedding == .linear ? 4 : 8,
                                patchEmbedding: embedding)
        let weights = ModelWeights(trainingInitFor: config, seed: 3)
        let batch = TrainingBatch(grids: (0..<6).map { i in
            PatchGrid(rows: 6, columns: 7, patchSize: config.patchSize,
                      values: randomValues(42 * config.patchFeatures, seed: 300 + UInt64(i)))
        }, labels: [0, 1, 2, 0, 1, 2])
        let steps = MatmulPrecision.trainable.map { precision in
            let model = TrainingModel(config: config, weights: weights, labelSmoothing: 0.1, precision: precision)
            let loss = model.step(batch: batch).loss
            return (loss: loss, gradients: model.gradientTensors)
        }
        let (exact, mixed) = (steps[0], steps[1])
        #expect(abs(mixed.loss - exact.loss) < 1e-4 * exact.loss, "loss \(mixed.loss) vs \(exact.loss)")
        var worst = (error: 0.0, name: "")
        for (name, gradient) in exact.gradients {
            let error = relativeNormError(mixed.gradients[name]!.values, gradient.values)
            if error > worst.error { worst = (error, name) }
            #expect(error < 0x1p-5, "\(name): relative gradient error \(error) in norm")
        }
        let all = relativeNormError(flat(mixed.gradients), flat(exact.gradients))
        #expect(all < 0x1p-7, "all gradients: relative error \(all) in norm")
        #expect(all > 0, "bf16 should not be as exact as fp32")
        print("bf16 vs fp32 step (\(embedding.rawValue)): loss \(mixed.loss) vs \(exact.loss), gradients "
              + "\(all) in norm, worst tensor \(worst.name) \(worst.error)")
    }

    /// Forty AdamW steps on one fixed batch bring the loss down as far in BF16 as in fp32.
    @Test func bf16TrainingReducesTheLossLikeFP32() {
        let config = tinyConfig(dimension: 16, depth: 1, heads: 2, patchSize: 2)
        let batch = TrainingBatch(grids: (0..<4).map { i in
            PatchGrid(rows: 3, columns: 3, patchSize: 2, values: randomValues(9 * 12, seed: 200 + UInt64(i)))
        }, labels: [0, 1, 2, 0])
        let losses = MatmulPrecision.trainable.map { precision in
            let model = TrainingModel(config: config, weights: ModelWeights(trainingInitFor: config, seed: 1),
                                      precision: precision)
            var optimizer = AdamW(layout: model.layout, weightDecay: 0)
            return (0..<40).map { _ in
                model.zeroGradients()
                let loss = model.step(batch: batch).loss
                optimizer.update(&model.parameters, gradients: model.gradients, learningRate: 1e-2)
                return loss
            }
        }
        let (exact, mixed) = (losses[0], losses[1])
        #expect(mixed.last! < 0.3 * mixed.first!, "bf16 losses \(mixed)")
        #expect(abs(mixed.last! - exact.last!) < 0.1 * exact.first!, "bf16 \(mixed.last!) vs fp32 \(exact.last!)")
        print("40 steps: loss \(exact.first!) → fp32 \(exact.last!), bf16 \(mixed.last!)")
    }

    /// A recipe reads back as saved, bf16 included; settings added after the checkpoint format
    /// (token-balanced batches, the teachers' budget) may be missing from an older run's
    /// `state.json` and then read as unset. (Runs from before the checkpoint format, which
    /// lacked `precision`, are refused as old-format runs: CheckpointTests.)
    @Test func recipesRoundTripAndNewerSettingsMayBeMissing() throws {
        var recipe = TrainingRecipe(epochs: 3, seed: 7)
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(recipe)) as! [String: Any]
        #expect(object["precision"] as? String == "fp32")
        object["tokensPerBatch"] = nil
        object["teacherTokens"] = nil
        let old = try JSONDecoder().decode(TrainingRecipe.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old == recipe && old.tokensPerBatch == nil && old.teacherTokens == nil)
        recipe.tokensPerBatch = 9216
        recipe.teacherTokens = 256
        #expect(try JSONDecoder().decode(TrainingRecipe.self, from: JSONEncoder().encode(recipe)) == recipe)

        recipe.precision = .bfloat16
        let saved = try JSONDecoder().decode(TrainingRecipe.self, from: JSONEncoder().encode(recipe))
        #expect(saved == recipe && saved.precision == .bfloat16)
        object["precision"] = "fp16"
        let unknown = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TrainingRecipe.self, from: unknown) }
    }

    private func flat(_ tensors: [String: Tensor]) -> [Float] {
        tensors.keys.sorted().flatMap { tensors[$0]!.values }
    }

    /// `‖a − b‖ / ‖b‖`.
    private func relativeNormError(_ a: [Float], _ b: [Float]) -> Double {
        let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (difference / max(norm, 1e-30)).squareRoot()
    }
}

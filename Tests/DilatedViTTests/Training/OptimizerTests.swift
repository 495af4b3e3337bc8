import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct OptimizerTests {
    @Test func scheduleWarmsUpThenDecaysToTheFloor() {
        let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 4, totalSteps: 14, minimum: 1e-5)
        #expect(schedule.learningRate(atStep: 0) == 2.5e-4)
        #expect(schedule.learningRate(atStep: 3) == 1e-3)
        #expect(schedule.learningRate(atStep: 4) == 1e-3)
        #expect(abs(schedule.learningRate(atStep: 9) - (1e-5 + (1e-3 - 1e-5) * 0.5)) < 1e-9)
        #expect(schedule.learningRate(atStep: 14) == 1e-5)
        #expect(schedule.learningRate(atStep: 1000) == 1e-5)
        let rates = (4...14).map { schedule.learningRate(atStep: $0) }
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 >= $1 })
    }

    @Test func clippingScalesToTheMaximumNormOnlyWhenAbove() {
        var gradients: [Float] = [3, 4, 0]
        #expect(clipGradientNorm(&gradients, maxNorm: 10) == 5)
        #expect(gradients == [3, 4, 0])
        #expect(clipGradientNorm(&gradients, maxNorm: 1) == 5)
        #expect(abs(gradients[0] - 0.6) < 1e-6 && abs(gradients[1] - 0.8) < 1e-6)
    }

    @Test func weightAverageFollowsItsRecurrence() {
        // Against the recurrence in double, and the closed form a_n = θ + dⁿ·(a₀ − θ) for fixed θ.
        let start = randomValues(64, seed: 7)
        var average = WeightAverage(decay: 0.9, values: start)
        var expected = start.map(Double.init)
        var parameters: [Float] = []
        for step in 0..<20 {
            parameters = randomValues(64, seed: UInt64(10 + step))
            average.update(toward: parameters)
            for i in expected.indices { expected[i] = 0.9 * expected[i] + 0.1 * Double(parameters[i]) }
        }
        #expect(zip(average.values, expected).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        let fixed = parameters
        for _ in 0..<30 { average.update(toward: fixed) }
        let remaining = pow(0.9, 30.0)
        for i in expected.indices {
            let closedForm = Double(fixed[i]) + remaining * (expected[i] - Double(fixed[i]))
            #expect(abs(Double(average.values[i]) - closedForm) < 1e-5)
        }
    }

    @Test func adamWFirstStepMatchesHandComputation() {
        let config = tinyConfig(dimension: 8, depth: 1, heads: 2)
        let layout = ParameterLayout(config: config)
        var parameters = randomValues(layout.count, seed: 3)
        let start = parameters
        let gradients = randomValues(layout.count, seed: 4, scale: 0.1)
        var optimizer = AdamW(layout: layout, weightDecay: 0.1)
        optimizer.update(&parameters, gradients: gradients, learningRate: 0.01)
        // Step 1: m̂ = g, v̂ = g², so θ ← θ·(1 − lr·λ·decayed) − lr·g/(|g| + ε).
        for entry in layout.entries {
            for i in entry.range {
                let decayed = entry.isDecayed ? start[i] * (1 - 0.01 * 0.1) : start[i]
                let expected = decayed - 0.01 * gradients[i] / (abs(gradients[i]) + 1e-8)
                #expect(abs(parameters[i] - expected) < 1e-6, "\(entry.name)[\(i - entry.offset)]")
            }
        }
        #expect(layout["blocks.0.attn.qkv.weight"]!.isDecayed && layout["patch_embed.proj.weight"]!.isDecayed)
        #expect(!layout["blocks.0.norm1.weight"]!.isDecayed && !layout["head.bias"]!.isDecayed)
    }

    /// Save after two steps, load into fresh objects, continue: identical to an uninterrupted run.
    @Test func resumingFromSavedStateIsBitExact() throws {
        let config = tinyConfig(dimension: 16, depth: 1, heads: 2, patchSize: 2)
        let batches = (0..<4).map { step in
            TrainingBatch(grids: (0..<2).map { i in
                PatchGrid(rows: 2 + step % 2, columns: 3, patchSize: 2,
                          values: randomValues((2 + step % 2) * 3 * 12, seed: UInt64(100 + 10 * step + i)))
            }, labels: [step % 3, (step + 1) % 3])
        }
        let schedule = LearningRateSchedule(peak: 1e-2, warmupSteps: 1, totalSteps: 4)
        func train(_ model: TrainingModel, _ optimizer: inout AdamW, _ range: Range<Int>) {
            for step in range {
                model.zeroGradients()
                model.step(batch: batches[step])
                clipGradientNorm(&model.gradients, maxNorm: 1)
                optimizer.update(&model.parameters, gradients: model.gradients,
                                 learningRate: schedule.learningRate(atStep: optimizer.step))
            }
        }
        let initial = ModelWeights(trainingInitFor: config, seed: 5)
        let straight = TrainingModel(config: config, weights: initial, labelSmoothing: 0.1)
        var straightOptimizer = AdamW(layout: straight.layout)
        train(straight, &straightOptimizer, 0..<4)

        let first = TrainingModel(config: config, weights: initial, labelSmoothing: 0.1)
        var firstOptimizer = AdamW(layout: first.layout)
        train(first, &firstOptimizer, 0..<2)
        let savedWeights = SafeTensors(tensors: first.weights.tensors).encoded()
        let savedState = firstOptimizer.stateFile().encoded()

        let resumed = TrainingModel(config: config,
                                    weights: try ModelWeights(tensors: SafeTensors(data: savedWeights).tensors, config: config),
                                    labelSmoothing: 0.1)
        var resumedOptimizer = try AdamW(state: SafeTensors(data: savedState), layout: resumed.layout)
        #expect(resumedOptimizer.step == 2)
        train(resumed, &resumedOptimizer, 2..<4)
        #expect(resumed.parameters == straight.parameters)
        #expect(resumedOptimizer.firstMoment == straightOptimizer.firstMoment)
        #expect(resumedOptimizer.secondMoment == straightOptimizer.secondMoment)
    }

    @Test func loadingRejectsAStateWithoutStep() {
        let layout = ParameterLayout(config: tinyConfig())
        var file = AdamW(layout: layout).stateFile()
        file.metadata["adam.step"] = nil
        #expect(throws: AdamWStateError.missingMetadata("adam.step")) { try AdamW(state: file, layout: layout) }
    }

    @Test func trainingInitialisationIsReproducibleAndTimmLike() {
        let config = tinyConfig(dimension: 32, depth: 2, heads: 4)
        let a = ModelWeights(trainingInitFor: config, seed: 9).tensors
        #expect(a == ModelWeights(trainingInitFor: config, seed: 9).tensors)
        #expect(a["blocks.0.norm1.weight"]!.values.allSatisfy { $0 == 1 })
        #expect(a["blocks.1.mlp.fc1.bias"]!.values.allSatisfy { $0 == 0 })
        let fc1 = a["blocks.0.mlp.fc1.weight"]!.values
        let std = (fc1.reduce(0) { $0 + $1 * $1 } / Float(fc1.count)).squareRoot()
        #expect(fc1.allSatisfy { abs($0) <= 0.04 } && abs(std - 0.0176) < 0.002)   // truncated at ±2σ: std 0.88σ
    }

    @Test func trainingInitialisationCoversTheStem() {
        let config = tinyConfig(dimension: 32, depth: 1, heads: 4, patchSize: 8, patchEmbedding: .hierarchicalMLP)
        let a = ModelWeights(trainingInitFor: config, seed: 9).tensors
        #expect(a["stem.0.norm.weight"]!.values.allSatisfy { $0 == 1 } && a["stem.1.norm.bias"]!.values.allSatisfy { $0 == 0 })
        #expect(a["stem.2.bias"]!.values.allSatisfy { $0 == 0 })
        // Xavier-uniform on the (out, 4·in) view: bound √(6 / (fan-in + fan-out)).
        for (name, fanIn, fanOut) in [("stem.0.weight", 12, 8), ("stem.1.weight", 32, 8), ("stem.2.weight", 32, 32)] {
            let values = a[name]!.values, bound = Float((6 / Double(fanIn + fanOut)).squareRoot())
            #expect(values.allSatisfy { abs($0) <= bound } && values.map(abs).max()! > 0.8 * bound, "\(name)")
        }
        let layout = ParameterLayout(config: config)
        #expect(layout["stem.1.weight"]!.isDecayed)
        #expect(!layout["stem.1.bias"]!.isDecayed && !layout["stem.0.norm.weight"]!.isDecayed)
    }

    /// A few steps on one fixed batch must drive its loss down (sanity of the whole loop).
    @Test func repeatedStepsReduceTheLoss() {
        let config = tinyConfig(dimension: 16, depth: 1, heads: 2, patchSize: 2)
        let batch = TrainingBatch(grids: (0..<4).map { i in
            PatchGrid(rows: 3, columns: 3, patchSize: 2, values: randomValues(9 * 12, seed: 200 + UInt64(i)))
        }, labels: [0, 1, 2, 0])
        let model = TrainingModel(config: config, weights: ModelWeights(trainingInitFor: config, seed: 1))
        var optimizer = AdamW(layout: model.layout, weightDecay: 0)
        var losses: [Float] = []
        for _ in 0..<40 {
            model.zeroGradients()
            losses.append(model.step(batch: batch).loss)
            optimizer.update(&model.parameters, gradients: model.gradients, learningRate: 1e-2)
        }
        #expect(losses.last! < 0.3 * losses.first!, "losses \(losses)")
    }
}

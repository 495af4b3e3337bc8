import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Whole-model loss and gradients against PyTorch autograd in float64
/// (`reference/make_grad_fixtures.py`): a batch of grids, labels and label smoothing per case.
/// Observed: loss within 1e-6, every gradient tensor within 2e-6 of its largest entry.
@Suite struct TrainingFixtureTests {
    static let cases = ["train-dense", "train-dilated", "train-hmlp"]

    struct Fixture {
        let config: ModelConfig
        let weights: ModelWeights
        let batch: TrainingBatch
        let smoothing: Float
        let expected: SafeTensors
        let adamw: SafeTensors

        init(_ name: String) throws {
            let directory = ReferenceFixtureTests.root.appendingPathComponent(name)
            let config = try ModelConfig(contentsOf: directory.appendingPathComponent("config.json"))
            self.config = config
            weights = try ModelWeights(contentsOf: directory.appendingPathComponent("model.safetensors"), config: config)
            expected = try SafeTensors(contentsOf: directory.appendingPathComponent("grads.safetensors"))
            adamw = try SafeTensors(contentsOf: directory.appendingPathComponent("adamw.safetensors"))
            smoothing = Float(expected.metadata["label_smoothing"]!)!
            let patches = expected["input.patches"]!
            let (images, rows, columns, features) = (patches.shape[0], patches.shape[1], patches.shape[2], patches.shape[3])
            let grids = (0..<images).map { i in
                PatchGrid(rows: rows, columns: columns, patchSize: config.patchSize,
                          values: Array(patches.values[(i * rows * columns * features)..<((i + 1) * rows * columns * features)]))
            }
            batch = TrainingBatch(grids: grids, labels: expected["input.labels"]!.values.map { Int($0) })
        }
    }

    @Test(arguments: cases)
    func gradientsMatchPyTorch(_ name: String) throws {
        let fixture = try Fixture(name)
        let model = TrainingModel(config: fixture.config, weights: fixture.weights, labelSmoothing: fixture.smoothing)
        let (loss, _) = model.step(batch: fixture.batch)
        #expect(abs(loss - fixture.expected["loss"]!.values[0]) < 1e-5)
        var worst: Float = 0
        for (tensorName, gradient) in model.gradientTensors {
            let reference = fixture.expected["grad." + tensorName]!
            #expect(gradient.shape == reference.shape, "\(tensorName)")
            let scale = max(reference.values.map(abs).max()!, 1e-6)
            let error = maxAbsDifference(gradient.values, reference.values) / scale
            worst = max(worst, error)
            #expect(error < 1e-4, "\(tensorName): relative error \(error)")
        }
        print("\(name): loss \(loss) vs \(fixture.expected["loss"]!.values[0]); worst relative gradient error \(worst)")
    }

    /// Two clipped AdamW steps with scheduled learning rates against torch.optim.AdamW
    /// (decay and no-decay parameter groups, clip_grad_norm_ 0.5).
    @Test(arguments: cases)
    func adamWMatchesPyTorch(_ name: String) throws {
        let fixture = try Fixture(name)
        let layout = ParameterLayout(config: fixture.config)
        var parameters = try layout.flatten(fixture.weights.tensors).get()
        let gradients = try layout.flatten(fixture.expected.tensors, prefix: "grad.").get()
        var optimizer = AdamW(layout: layout, weightDecay: 0.05)
        let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 2, totalSteps: 10, minimum: 1e-5)
        for (step, stepGradients) in [gradients, gradients.map { $0 * 0.7 - 0.01 }].enumerated() {
            var clipped = stepGradients
            clipGradientNorm(&clipped, maxNorm: 0.5)
            optimizer.update(&parameters, gradients: clipped, learningRate: schedule.learningRate(atStep: optimizer.step))
            let expected = try layout.flatten(fixture.adamw.tensors, prefix: "step\(step + 1).").get()
            let error = maxAbsDifference(parameters, expected)
            #expect(error < 2e-7, "step \(step + 1): max |Δθ| \(error)")
        }
    }
}

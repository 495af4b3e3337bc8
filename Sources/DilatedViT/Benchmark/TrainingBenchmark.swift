import Foundation

/// Times full training steps (forward, backward, gradient clipping, AdamW update) on
/// random batches of one grid size, for comparison with `reference/bench_train_torch.py`.
public struct TrainingBenchmark {
    public struct Measurement: Sendable, CustomStringConvertible {
        public let batch: Int
        public let rows: Int
        public let columns: Int
        /// Wall time of each timed step, in order.
        public let stepSeconds: [Double]

        public var imagesPerSecond: Double { Double(batch) / (stepSeconds.reduce(0, +) / Double(stepSeconds.count)) }
        public var bestImagesPerSecond: Double { Double(batch) / stepSeconds.min()! }

        public var description: String {
            String(format: "swift train batch %d grid %d×%d: mean %.3f s/step (%.1f img/s), best %.3f s (%.1f img/s)",
                   batch, rows, columns, stepSeconds.reduce(0, +) / Double(stepSeconds.count), imagesPerSecond,
                   stepSeconds.min()!, bestImagesPerSecond)
        }
    }

    public let model: TrainingModel
    private var optimizer: AdamW

    /// `ForwardBenchmark.standardConfig()` by default, timm-style initial weights.
    public init(config: ModelConfig = ForwardBenchmark.standardConfig(), seed: UInt64 = 0) {
        model = TrainingModel(config: config, weights: ModelWeights(trainingInitFor: config, seed: seed),
                              labelSmoothing: 0.1)
        optimizer = AdamW(layout: model.layout, weightDecay: 0.05)
    }

    /// One warm-up step, then `steps` timed steps on a random batch.
    public mutating func measure(batch: Int, rows: Int, columns: Int, steps: Int) -> Measurement {
        let config = model.config
        let grids = (0..<batch).map { i in
            PatchGrid(rows: rows, columns: columns, patchSize: config.patchSize,
                      values: (0..<(rows * columns * config.patchFeatures)).map { Float(sin(Double($0 * 7 + i))) })
        }
        let trainingBatch = TrainingBatch(grids: grids, labels: (0..<batch).map { $0 % config.classCount })
        var times: [Double] = []
        for step in 0...steps {
            let start = DispatchTime.now().uptimeNanoseconds
            model.zeroGradients()
            model.step(batch: trainingBatch)
            clipGradientNorm(&model.gradients, maxNorm: 1)
            optimizer.update(&model.parameters, gradients: model.gradients, learningRate: 1e-4)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if step > 0 { times.append(seconds) }
        }
        return Measurement(batch: batch, rows: rows, columns: columns, stepSeconds: times)
    }
}

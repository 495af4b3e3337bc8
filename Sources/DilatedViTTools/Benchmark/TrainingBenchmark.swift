import Foundation
import DilatedViT
import DilatedViTTraining

/// Times full training steps (forward, backward, gradient clipping, AdamW update) on
/// random batches of one grid size, for comparison with `reference/bench_train_torch.py`
/// and between `MatmulPrecision`s.
public struct TrainingBenchmark {
    public struct Measurement: Sendable, CustomStringConvertible {
        public let precision: MatmulPrecision
        public let batch: Int
        public let rows: Int
        public let columns: Int
        /// Wall time of each timed step, in order.
        public let stepSeconds: [Double]

        public var imagesPerSecond: Double { Double(batch) / (stepSeconds.reduce(0, +) / Double(stepSeconds.count)) }
        public var bestImagesPerSecond: Double { Double(batch) / stepSeconds.min()! }

        public var description: String {
            let name = precision == .float32 ? "swift" : "swift-\(precision.rawValue)"
            return String(format: "%@ train batch %d grid %d×%d: mean %.3f s/step (%.1f img/s), best %.3f s (%.1f img/s)",
                          name, batch, rows, columns, stepSeconds.reduce(0, +) / Double(stepSeconds.count),
                          imagesPerSecond, stepSeconds.min()!, bestImagesPerSecond)
        }
    }

    /// Each precision's steps on the same initial weights and random batch: one warm-up
    /// step each, then `steps` timed steps, the precisions taking turns step by step so
    /// that load from other processes hits them alike.
    public static func measure(precisions: [MatmulPrecision] = [.float32],
                               config: ModelConfig = ForwardBenchmark.standardConfig(),
                               batch: Int, rows: Int, columns: Int, steps: Int) -> [Measurement] {
        var runs = precisions.map { TrainingBenchmark(config: config, precision: $0) }
        let trainingBatch = randomBatch(config: config, count: batch, rows: rows, columns: columns)
        var times = [[Double]](repeating: [], count: runs.count)
        for step in 0...steps {
            for i in runs.indices {
                let seconds = runs[i].step(trainingBatch)
                if step > 0 { times[i].append(seconds) }
            }
        }
        return zip(precisions, times).map { precision, seconds in
            Measurement(precision: precision, batch: batch, rows: rows, columns: columns, stepSeconds: seconds)
        }
    }

    private let model: TrainingModel
    private var optimizer: AdamW

    /// Timm-style initial weights (seed 0).
    private init(config: ModelConfig, precision: MatmulPrecision) {
        model = TrainingModel(config: config, weights: ModelWeights(trainingInitFor: config, seed: 0),
                              labelSmoothing: 0.1, precision: precision)
        optimizer = AdamW(layout: model.layout, weightDecay: 0.05)
    }

    /// One full step; returns its wall time in seconds.
    private mutating func step(_ batch: TrainingBatch) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        model.zeroGradients()
        model.step(batch: batch)
        clipGradientNorm(&model.gradients, maxNorm: 1)
        optimizer.update(&model.parameters, gradients: model.gradients, learningRate: 1e-4)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private static func randomBatch(config: ModelConfig, count: Int, rows: Int, columns: Int) -> TrainingBatch {
        let grids = (0..<count).map { i in
            PatchGrid(rows: rows, columns: columns, patchSize: config.patchSize,
                      values: (0..<(rows * columns * config.patchFeatures)).map { Float(sin(Double($0 * 7 + i))) })
        }
        return TrainingBatch(grids: grids, labels: (0..<count).map { $0 % config.classCount })
    }
}

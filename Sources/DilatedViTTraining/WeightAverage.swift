import DilatedViT

/// An exponential moving average of the parameters (Polyak averaging, as timm's `ModelEmaV2`):
/// after every optimizer update `a ← a + (1 − decay)·(θ − a)`, so the average spans about
/// `1 / (1 − decay)` steps. Late in fine-tuning the raw weights wander around a minimum with
/// each batch's grid size and augmentation; their average sits nearer its centre.
public struct WeightAverage: Sendable {
    public let decay: Float
    /// The averaged parameters, flat in `ParameterLayout` order.
    public private(set) var values: [Float]

    /// An average that starts at `values` (the run's starting or resumed weights).
    public init(decay: Float, values: [Float]) {
        precondition(decay > 0 && decay < 1, "WeightAverage: decay \(decay) outside (0, 1)")
        self.decay = decay
        self.values = values
    }

    /// Moves the average one step toward `parameters`.
    public mutating func update(toward parameters: [Float]) {
        precondition(parameters.count == values.count,
                     "WeightAverage: \(parameters.count) parameters for an average of \(values.count)")
        let rate = 1 - decay
        values.withUnsafeMutableBufferPointer { average in
            parameters.withUnsafeBufferPointer { theta in
                for i in average.indices { average[i] += rate * (theta[i] - average[i]) }
            }
        }
    }
}

import Foundation
import DilatedViT

/// A DilatedViT being trained: the parameter arena (`ModelWeights.values`) and its
/// gradients in the same layout, and the forward + backward pass over a batch.
///
/// Typical loop (the optimizer and schedule are separate values):
///
///     let model = TrainingModel(config: config, weights: ModelWeights(trainingInitFor: config, seed: 1),
///                               labelSmoothing: 0.1)
///     var optimizer = AdamW(layout: model.layout, weightDecay: 0.05)
///     let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 500, totalSteps: 20_000)
///     for batch in batches {
///         model.zeroGradients()
///         let (loss, correct) = model.step(batch: batch)
///         clipGradientNorm(&model.gradients, maxNorm: 1)
///         optimizer.update(&model.parameters, gradients: model.gradients,
///                          learningRate: schedule.learningRate(atStep: optimizer.step))
///     }
///     let inference = DilatedViTModel(config: config, weights: model.weights)
///
/// The batch's token rows are stacked (`T = batch × rows·columns`), so every Linear is one
/// GEMM over `T` rows; attention runs per image. Memory: `TrainingActivations` (about
/// `(6D + M)·T` floats per block), kept between steps and regrown for larger batches.
/// Not thread-safe (it mutates its buffers); each step uses all cores itself.
public final class TrainingModel {
    public let config: ModelConfig
    package let layout: ParameterLayout
    /// All parameters, flat in `layout` order.
    public var parameters: [Float]
    /// Gradients accumulated by `step(batch:)` since the last `zeroGradients()`, `layout` order.
    public var gradients: [Float]
    /// Attention of the forward pass (dilated for training; dense for comparisons).
    public var attention: AttentionMode
    public var loss: CrossEntropy
    /// The arithmetic of the Linear layers' products: fp32, or mixed precision with the
    /// products of the patch embedding and the blocks in BF16 (`LinearProducts`; the head
    /// stays fp32).
    public let precision: MatmulPrecision

    private let offsets: ArenaOffsets
    private let linear: LinearProducts
    private var activations: TrainingActivations?
    /// The coarse views' activations, for grids that have views (MODEL.md §9.4).
    private var viewActivations: TrainingActivations?

    public init(config: ModelConfig, weights: ModelWeights, attention: AttentionMode? = nil,
                labelSmoothing: Float = 0, precision: MatmulPrecision = .float32) {
        precondition((try? config.validate()) != nil, "TrainingModel: invalid config")
        precondition(precision != .int8, "TrainingModel: int8 is for inference only")
        layout = weights.layout
        precondition(layout == ParameterLayout(config: config), "TrainingModel: weights were validated against another config")
        self.config = config
        parameters = weights.values
        gradients = [Float](repeating: 0, count: layout.count)
        self.attention = attention ?? config.attention
        loss = CrossEntropy(labelSmoothing: labelSmoothing)
        offsets = layout.layerOffsets(config: config)
        self.precision = precision
        linear = LinearProducts(precision: precision)
    }

    /// The current parameters as model weights (for `DilatedViTModel` or saving): the same
    /// arena, not a copy.
    public var weights: ModelWeights { ModelWeights(layout: layout, values: parameters) }

    /// The accumulated gradients under the parameters' names.
    package var gradientTensors: [String: Tensor] { layout.tensors(from: gradients) }

    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Forward and backward over `batch`: returns the mean (label-smoothed, and distilled
    /// where the batch carries teacher probabilities) loss and the
    /// number of images whose top logit is the label, and adds the gradient of
    /// `lossScale × mean loss` to `gradients` (a `lossScale` of `1/k` averages `k`
    /// accumulated micro-batches).
    @discardableResult
    public func step(batch: TrainingBatch, lossScale: Float = 1) -> (loss: Float, correct: Int) {
        let crossEntropy = loss
        return withPasses(over: batch) { pass, view in
            let pooled = Self.pooledFeatures(pass, batch.grids, view: view)
            let result = crossEntropy.evaluate(logits: pass.logits(pooled), labels: batch.labels,
                                               teacherProbabilities: batch.teacherProbabilities, scale: lossScale)
            let pooledGradient = pass.headBackward(logitGradient: result.logitGradient, pooled: pooled)
            pass.backward(pooledGradient: pooledGradient, pooled: pooled)
            view?.pass.backward(pooledGradient: pooledGradient, pooled: pooled)
            return (result.loss, result.correct)
        }
    }

    /// The training forward pass alone: `batch.count × classCount` logits, row-major
    /// (what `step(batch:)` scores; the gradients are left alone).
    func logits(for batch: TrainingBatch) -> [Float] {
        withPasses(over: batch) { pass, view in pass.logits(Self.pooledFeatures(pass, batch.grids, view: view)) }
    }

    /// Both passes forward to their final rows, then pooled together: `images × D` features.
    private static func pooledFeatures(_ pass: TrainingPass, _ grids: [PatchGrid],
                                       view: (pass: TrainingPass, grids: [PatchGrid])?) -> [Float] {
        pass.forwardRows(grids)
        if let view { view.pass.forwardRows(view.grids) }
        return pass.pooled(with: view?.pass)
    }

    /// Sizes the activations for `batch` and hands `body` a pass over them, and one over the
    /// batch's coarse views (MODEL.md §9.4) with those views when its grids have them.
    private func withPasses<Result>(over batch: TrainingBatch,
                                    _ body: (TrainingPass, (pass: TrainingPass, grids: [PatchGrid])?) -> Result) -> Result {
        precondition(batch.count > 0, "TrainingModel: an empty batch")
        precondition(batch.grids[0].patchSize == config.patchSize,
                     "TrainingModel: grids of \(batch.grids[0].patchSize)-pixel patches for patch \(config.patchSize)")
        let views = batch.grids.compactMap { CoarseView(of: $0, budget: config.coarseViewTokens)?.grid }
        let gridActivations = activations(for: batch.grids, at: \.activations)
        let viewActivations = views.isEmpty ? nil : activations(for: views, at: \.viewActivations)
        return parameters.withUnsafeBufferPointer { parameterBuffer in
            gradients.withUnsafeMutableBufferPointer { gradientBuffer in
                func pass(over grids: [PatchGrid], _ buffers: TrainingActivations) -> TrainingPass {
                    let rows = grids[0].rows, columns = grids[0].columns
                    let shape = WindowWalker(
                        images: grids.count, rows: rows, columns: columns, heads: config.heads,
                        headDimension: config.headDimension,
                        levels: attentionLevels(mode: attention, levels: config.architecture.attentionLevels(rows: rows, columns: columns),
                                               rows: rows, columns: columns))
                    return TrainingPass(config: config, offsets: offsets, attention: shape,
                                        parameters: parameterBuffer.baseAddress!,
                                        gradients: gradientBuffer.baseAddress!, buffers: buffers, linear: linear)
                }
                return body(pass(over: batch.grids, gridActivations), viewActivations.map { (pass(over: views, $0), views) })
            }
        }
    }

    /// The activations at `buffers`, grown for `grids` (one size) if they are too small.
    private func activations(for grids: [PatchGrid], at buffers: ReferenceWritableKeyPath<TrainingModel, TrainingActivations?>)
        -> TrainingActivations
    {
        let tokens = grids.count * grids[0].tokenCount
        if (self[keyPath: buffers]?.capacity ?? 0) < tokens {
            self[keyPath: buffers] = nil   // free the old buffers before allocating larger ones
            self[keyPath: buffers] = TrainingActivations(capacity: tokens, config: config)
        }
        return self[keyPath: buffers]!
    }
}

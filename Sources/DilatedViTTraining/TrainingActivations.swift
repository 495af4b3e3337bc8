import DilatedViT

/// The buffers of one training step over `capacity` stacked tokens (batch × tokens per
/// image), reused from step to step and regrown when a batch has more tokens.
///
/// Per block the forward keeps what the backward needs and nothing it can recompute
/// cheaply: the LayerNorm inputs normalised (`x̂`) with their inverse deviations (the
/// LayerNorm outputs are `x̂·w + b`, recomputed), qkv, the attention output and its merged
/// log-sum-exp, and the FC1 output before the GELU. That is `(6D + M)·T + (2 + H)·T`
/// floats per block (≈ 70 MB for D = 192, M = 768, T = 64·144 tokens). The hMLP stem keeps
/// its LayerNorm inputs likewise (`5D + 20` floats per token for p = 8) and runs in token
/// blocks through scratch for `stemBlockLength` tokens.
final class TrainingActivations {
    struct Block {
        /// The two LayerNorm inputs normalised (`T × D` each) and their inverse deviations.
        let norm1Normalised, norm1InverseDeviation: UnsafeMutablePointer<Float>
        let qkv: UnsafeMutablePointer<Float>
        let attention: UnsafeMutablePointer<Float>
        let logSumExp: UnsafeMutablePointer<Float>
        let norm2Normalised, norm2InverseDeviation: UnsafeMutablePointer<Float>
        /// FC1 output before the GELU; the backward overwrites it with the GELU derivative.
        let fc1Output: UnsafeMutablePointer<Float>
    }

    /// What the backward needs of one normalised hMLP stem stage.
    struct SavedStemStage {
        /// LayerNorm input normalised, `T·positions × C`.
        let normalised: UnsafeMutablePointer<Float>
        let inverseDeviation: UnsafeMutablePointer<Float>
    }

    /// Scratch of one stem token block: four buffers of `blockLength × scratchWidth` floats
    /// (`[StemStage].scratchWidth`).
    struct StemScratch {
        let blockLength: Int
        /// A stage's 2×2-block rows (its input gradient in the backward).
        let blocks: UnsafeMutablePointer<Float>
        /// A stage's output (forward); the GELU derivative (backward).
        let features: UnsafeMutablePointer<Float>
        /// The GELU activations, then their gradient (backward).
        let activation: UnsafeMutablePointer<Float>
        /// The gradient of a stage's output (backward).
        let outputGradient: UnsafeMutablePointer<Float>
    }

    /// Tokens per stem block.
    static let stemBlockLength = 1024

    let capacity: Int
    /// Stacked input patches, `T × 3p²`.
    let patches: UnsafeMutablePointer<Float>
    /// The residual stream, `T × D`.
    let residual: UnsafeMutablePointer<Float>
    /// LayerNorm outputs (forward, and recomputed in the backward), `T × D`.
    let normalisedOutput: UnsafeMutablePointer<Float>
    /// GELU activations (forward) and the hidden gradient (backward), `T × M`.
    let hidden: UnsafeMutablePointer<Float>
    let finalNormalised: UnsafeMutablePointer<Float>
    let finalInverseDeviation: UnsafeMutablePointer<Float>
    /// Attention pooling's weights `a[t][h]`, `T × H` (its score gradient in the backward).
    let poolWeights: UnsafeMutablePointer<Float>
    let blocks: [Block]
    /// Gradient of the loss with respect to the residual stream, `T × D`.
    let residualGradient: UnsafeMutablePointer<Float>
    /// Gradient of a branch's input or output, `T × D`.
    let branchGradient: UnsafeMutablePointer<Float>
    let qkvGradient: UnsafeMutablePointer<Float>
    /// The normalised stem stages, in order (none for the linear embedding).
    let stem: [SavedStemStage]
    let stemScratch: StemScratch?

    private let buffers: FloatBuffers

    init(capacity t: Int, config: ModelConfig) {
        let d = config.dimension, m = config.hiddenDimension, h = config.heads
        let buffers = FloatBuffers(), buffer = buffers.take
        self.buffers = buffers
        capacity = t
        patches = buffer(t * config.patchFeatures)
        residual = buffer(t * d)
        normalisedOutput = buffer(t * d)
        hidden = buffer(t * m)
        finalNormalised = buffer(t * d)
        finalInverseDeviation = buffer(t)
        poolWeights = buffer(config.pooling == .attention ? t * h : 0)
        blocks = (0..<config.depth).map { _ in
            Block(norm1Normalised: buffer(t * d), norm1InverseDeviation: buffer(t), qkv: buffer(t * 3 * d),
                  attention: buffer(t * d), logSumExp: buffer(t * h), norm2Normalised: buffer(t * d),
                  norm2InverseDeviation: buffer(t), fc1Output: buffer(t * m))
        }
        residualGradient = buffer(t * d)
        branchGradient = buffer(t * d)
        qkvGradient = buffer(t * 3 * d)
        let stages = config.stemStages
        stem = stages.filter { !$0.isLast }.map { stage in
            SavedStemStage(normalised: buffer(t * stage.outputsPerToken), inverseDeviation: buffer(t * stage.positions))
        }
        if stages.isEmpty {
            stemScratch = nil
        } else {
            let block = min(t, Self.stemBlockLength), width = stages.scratchWidth
            stemScratch = StemScratch(blockLength: block, blocks: buffer(block * width), features: buffer(block * width),
                                      activation: buffer(block * width), outputGradient: buffer(block * width))
        }
    }
}

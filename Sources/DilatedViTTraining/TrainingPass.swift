import DilatedViT
import Foundation

/// One forward + backward over a stacked batch, on raw views of the parameters, the
/// gradients and the activation buffers (see `TrainingModel.step(batch:)`).
struct TrainingPass {
    let config: ModelConfig
    let offsets: ArenaOffsets
    let attention: WindowWalker
    let parameters: UnsafePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    let buffers: TrainingActivations
    /// The Linear layers' products, at the model's precision.
    let linear: LinearProducts

    var images: Int { attention.images }
    var tokensPerImage: Int { attention.tokensPerImage }
    var tokens: Int { attention.images * attention.tokensPerImage }

    /// Runs the forward pass up to the final LayerNorm's rows `z` (and attention pooling's
    /// scores), keeping the activations the backward needs.
    func forwardRows(_ grids: [PatchGrid]) {
        let t = tokens, n = tokensPerImage, d = config.dimension
        let features = config.patchFeatures, epsilon = config.layerNormEpsilon
        let a = buffers, p = parameters

        for (i, grid) in grids.enumerated() {
            grid.values.withUnsafeBufferPointer { (a.patches + i * n * features).update(from: $0.baseAddress!, count: n * features) }
        }
        embeddingForward()
        // The position code is fixed: added, never differentiated.
        parallelFor(images) { i in
            config.architecture.addPositionCode(to: a.residual + i * n * d, rows: attention.rows, columns: attention.columns)
        }

        for (block, saved) in zip(offsets.blocks, a.blocks) {
            block.forward(TrainingBlockPass(pass: self, saved: saved))
        }

        layerNormForward(a.residual, rows: t, columns: d, weight: p + offsets.norm.weight, bias: p + offsets.norm.bias,
                         epsilon: epsilon, normalised: a.finalNormalised,
                         inverseDeviation: a.finalInverseDeviation, output: a.normalisedOutput)
        if let score = offsets.pool {
            linearForward(a.normalisedOutput, rows: t, inputs: d, outputs: config.heads, weight: p + score.weight,
                          bias: p + score.bias, into: a.poolWeights)
        }
    }

    /// Pools each image's rows, through the inference pass's own pooling steps: `images × D`
    /// features. With attention pooling, a coarse view's pass (`view`, one view per image)
    /// joins each image's softmax, its scores raised as in inference (MODEL.md §9.4); the
    /// scores of both passes are replaced by their final weights, for the backward.
    func pooled(with view: TrainingPass? = nil) -> [Float] {
        let n = tokensPerImage, d = config.dimension, heads = config.heads
        // Each pass with what its scores are raised by.
        let passes: [(pass: TrainingPass, offset: Float)] = [(self, 0)] + (view.map {
            [($0, config.architecture.coarseViewScoreOffset(gridTokens: n, viewTokens: $0.tokensPerImage))]
        } ?? [])
        var pooled = [Float](repeating: 0, count: images * d)
        pooled.withUnsafeMutableBufferPointer { pooled in
            let out = pooled.baseAddress!
            parallelFor(images) { i in
                let features: [Float]
                if offsets.pool == nil {
                    var pool = MeanPool(dimension: d)
                    pool.add(rows: buffers.normalisedOutput + i * n * d, count: n)
                    features = pool.mean
                } else {
                    var pool = AttentionPool(heads: heads, dimension: d)
                    for (pass, offset) in passes {
                        let m = pass.tokensPerImage
                        pool.add(pass.buffers.normalisedOutput + i * m * d, scores: pass.buffers.poolWeights + i * m * heads,
                                 count: m, scoreOffset: offset)
                    }
                    for (pass, offset) in passes {
                        let m = pass.tokensPerImage
                        pool.weights(replacing: pass.buffers.poolWeights + i * m * heads, count: m, scoreOffset: offset)
                    }
                    features = pool.pooled
                }
                for (c, value) in features.enumerated() { out[i * d + c] = value }
            }
        }
        return pooled
    }

    /// The head over pooled features: `images × C` logits. It stays fp32 at every precision,
    /// as in inference: its few outputs cost nothing, and the loss gradient enters through it
    /// unrounded.
    func logits(_ pooled: [Float]) -> [Float] {
        var logits = [Float](repeating: 0, count: images * config.classCount)
        pooled.withUnsafeBufferPointer { pooled in
            logits.withUnsafeMutableBufferPointer { logits in
                linearForward(pooled.baseAddress!, rows: images, inputs: config.dimension, outputs: config.classCount,
                              weight: parameters + offsets.head.weight, bias: parameters + offsets.head.bias,
                              into: logits.baseAddress!)
            }
        }
        return logits
    }

    /// The head's backward: adds its gradients, returns the pooled features' (`images × D`).
    func headBackward(logitGradient: [Float], pooled: [Float]) -> [Float] {
        let d = config.dimension
        var pooledGradient = [Float](repeating: 0, count: images * d)
        logitGradient.withUnsafeBufferPointer { dLogits in
            pooled.withUnsafeBufferPointer { pooled in
                pooledGradient.withUnsafeMutableBufferPointer { dPooled in
                    linearBackward(outputGradient: dLogits.baseAddress!, input: pooled.baseAddress!, rows: images,
                                   inputs: d, outputs: config.classCount, weight: parameters + offsets.head.weight,
                                   weightGradient: gradients + offsets.head.weight, biasGradient: gradients + offsets.head.bias,
                                   inputGradient: dPooled.baseAddress!)
                }
            }
        }
        return pooledGradient
    }

    /// Adds to `gradients` those of this pass's rows, given the pooled features' gradient
    /// `pooledGradient` (`headBackward`) and the features `pooled`. Consumes the forward's
    /// activations (some are overwritten).
    func backward(pooledGradient: [Float], pooled: [Float]) {
        let t = tokens, d = config.dimension, m = config.hiddenDimension
        let a = buffers, p = parameters, g = gradients

        poolingBackward(pooledGradient, pooled: pooled)
        layerNormBackward(outputGradient: a.branchGradient, normalised: a.finalNormalised,
                          inverseDeviation: a.finalInverseDeviation, weight: p + offsets.norm.weight,
                          rows: t, columns: d, inputGradient: a.residualGradient, accumulate: false,
                          weightGradient: g + offsets.norm.weight, biasGradient: g + offsets.norm.bias)

        for (block, saved) in zip(offsets.blocks, a.blocks).reversed() {
            // MLP branch: x += FC2(GELU(FC1(LN2(x)))).
            geluActivationAndDerivative(saved.fc1Output, activation: a.hidden, count: t * m)
            // dW₂ needs the activation before dG overwrites it (linear.backward orders the two products).
            linear.backward(outputGradient: a.residualGradient, input: a.hidden, rows: t, inputs: m, outputs: d,
                            weight: p + block.fc2.weight, weightGradient: g + block.fc2.weight,
                            biasGradient: g + block.fc2.bias, inputGradient: a.hidden)
            multiplyInPlace(a.hidden, by: saved.fc1Output, count: t * m)
            layerNormAffine(saved.norm2Normalised, rows: t, columns: d, weight: p + block.norm2.weight,
                            bias: p + block.norm2.bias, output: a.normalisedOutput)
            linear.backward(outputGradient: a.hidden, input: a.normalisedOutput, rows: t, inputs: d, outputs: m,
                            weight: p + block.fc1.weight, weightGradient: g + block.fc1.weight,
                            biasGradient: g + block.fc1.bias, inputGradient: a.branchGradient)
            layerNormBackward(outputGradient: a.branchGradient, normalised: saved.norm2Normalised,
                              inverseDeviation: saved.norm2InverseDeviation, weight: p + block.norm2.weight,
                              rows: t, columns: d, inputGradient: a.residualGradient, accumulate: true,
                              weightGradient: g + block.norm2.weight, biasGradient: g + block.norm2.bias)

            // Attention branch: x += Proj(Attn(QKV(LN1(x)))).
            linear.backward(outputGradient: a.residualGradient, input: saved.attention, rows: t, inputs: d, outputs: d,
                            weight: p + block.projection.weight, weightGradient: g + block.projection.weight,
                            biasGradient: g + block.projection.bias, inputGradient: a.branchGradient)
            attention.backward(qkv: saved.qkv, output: saved.attention, logSumExp: saved.logSumExp,
                               outputGradient: a.branchGradient, qkvGradient: a.qkvGradient)
            layerNormAffine(saved.norm1Normalised, rows: t, columns: d, weight: p + block.norm1.weight,
                            bias: p + block.norm1.bias, output: a.normalisedOutput)
            linear.backward(outputGradient: a.qkvGradient, input: a.normalisedOutput, rows: t, inputs: d,
                            outputs: 3 * d, weight: p + block.qkv.weight, weightGradient: g + block.qkv.weight,
                            biasGradient: g + block.qkv.bias, inputGradient: a.branchGradient)
            layerNormBackward(outputGradient: a.branchGradient, normalised: saved.norm1Normalised,
                              inverseDeviation: saved.norm1InverseDeviation, weight: p + block.norm1.weight,
                              rows: t, columns: d, inputGradient: a.residualGradient, accumulate: true,
                              weightGradient: g + block.norm1.weight, biasGradient: g + block.norm1.bias)
        }

        embeddingBackward()
    }

    /// The pooling's backward: the gradient of the final LayerNorm's output rows `z` into
    /// `branchGradient`, and attention pooling's score gradients.
    ///
    /// Mean: each token gets `df/N`. Attention (MODEL.md §9.3): `dz[t][c] = a[t][h]·df[c]`
    /// through the weighted sum, plus the softmax's part: with `g[t][h] = Σ_{c∈h} df[c]·z[t][c]`
    /// the score gradient is `ds[t][h] = a[t][h]·(g[t][h] − Σ_{c∈h} df[c]·f[c])`, which flows
    /// back through the score Linear (`dz += ds·Wpool`, `dWpool += dsᵀ·z`). The same holds for
    /// each of two passes pooled in one softmax (grid and view), with their joint `a` and `f`.
    private func poolingBackward(_ pooledGradient: [Float], pooled: [Float]) {
        let t = tokens, n = tokensPerImage, d = config.dimension, heads = config.heads, dh = config.headDimension
        let a = buffers, z = buffers.normalisedOutput
        pooledGradient.withUnsafeBufferPointer { dPooled in
            pooled.withUnsafeBufferPointer { pooled in
                parallelFor(images) { i in
                    let df = dPooled.baseAddress! + i * d, f = pooled.baseAddress! + i * d
                    guard offsets.pool != nil else {
                        let inverseCount = 1 / Float(n)
                        for row in 0..<n {
                            let out = a.branchGradient + (i * n + row) * d
                            for c in 0..<d { out[c] = df[c] * inverseCount }
                        }
                        return
                    }
                    var base = [Float](repeating: 0, count: heads)
                    for c in 0..<d { base[c / dh] += df[c] * f[c] }
                    for row in 0..<n {
                        let token = i * n + row
                        let weights = a.poolWeights + token * heads, zRow = z + token * d
                        let out = a.branchGradient + token * d
                        for h in 0..<heads {
                            var g: Float = 0
                            for c in h * dh..<(h + 1) * dh {
                                out[c] = weights[h] * df[c]
                                g += df[c] * zRow[c]
                            }
                            weights[h] *= g - base[h]
                        }
                    }
                }
            }
        }
        if let score = offsets.pool {
            linearBackward(outputGradient: a.poolWeights, input: z, rows: t, inputs: d, outputs: heads,
                           weight: parameters + score.weight, weightGradient: gradients + score.weight,
                           biasGradient: gradients + score.bias, inputGradient: a.branchGradient, accumulateInput: true)
        }
    }
}

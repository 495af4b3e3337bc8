import DilatedViT

/// The patch embedding's forward and backward: `a.patches` (`T × 3p²`) to the residual
/// stream, and the residual stream's gradient back to the embedding parameters.
extension TrainingPass {
    /// Writes the embedded patches (without the position code) to `buffers.residual`.
    func embeddingForward() {
        let a = buffers, p = parameters
        switch offsets.embedding {
        case .linear(let embedding):
            linear.forward(a.patches, rows: tokens, inputs: embedding.inputs, outputs: embedding.outputs,
                           weight: p + embedding.weight, bias: p + embedding.bias, into: a.residual)
        case .hierarchicalMLP(let layers):
            forEachStemBlock { start, count in stemForward(layers, start: start, count: count) }
        }
    }

    /// Adds the embedding parameters' gradients, given the residual stream's in `buffers.residualGradient`.
    func embeddingBackward() {
        let a = buffers, p = parameters, g = gradients
        switch offsets.embedding {
        case .linear(let embedding):
            linear.backward(outputGradient: a.residualGradient, input: a.patches, rows: tokens,
                            inputs: embedding.inputs, outputs: embedding.outputs, weight: p + embedding.weight,
                            weightGradient: g + embedding.weight, biasGradient: g + embedding.bias, inputGradient: nil)
        case .hierarchicalMLP(let layers):
            forEachStemBlock { start, count in stemBackward(layers, start: start, count: count) }
        }
    }

    /// `body(start, count)` for each block of stem scratch rows, in token order (so the
    /// gradient sums are reproducible).
    private func forEachStemBlock(_ body: (Int, Int) -> Void) {
        let length = buffers.stemScratch!.blockLength
        for start in stride(from: 0, to: tokens, by: length) { body(start, min(length, tokens - start)) }
    }

    /// The stem on tokens `start ..< start + count`, keeping each normalised stage's
    /// LayerNorm input for the backward.
    private func stemForward(_ layers: [ArenaOffsets.StemLayer], start: Int, count: Int) {
        let a = buffers, p = parameters, scratch = a.stemScratch!
        var input = UnsafePointer(a.patches + start * config.patchFeatures)
        for layer in layers {
            let stage = layer.stage, rows = count * stage.positions, width = stage.outputChannels
            gatherBlocks(input, layout: stage.inputLayout, tokens: count, into: scratch.blocks)
            if let norm = layer.norm {
                let saved = a.stem[stage.index]
                linear.forward(scratch.blocks, rows: rows, inputs: stage.blockWidth, outputs: width,
                               weight: p + layer.linear.weight, bias: p + layer.linear.bias, into: scratch.features)
                layerNormForward(scratch.features, rows: rows, columns: width, weight: p + norm.weight,
                                 bias: p + norm.bias, epsilon: config.layerNormEpsilon,
                                 normalised: saved.normalised + start * stage.outputsPerToken,
                                 inverseDeviation: saved.inverseDeviation + start * stage.positions,
                                 output: scratch.features)
                geluForward(scratch.features, into: scratch.features, count: rows * width)
                input = UnsafePointer(scratch.features)
            } else {
                linear.forward(scratch.blocks, rows: rows, inputs: stage.blockWidth, outputs: width,
                               weight: p + layer.linear.weight, bias: p + layer.linear.bias,
                               into: a.residual + start * width)
            }
        }
    }

    /// The stem's backward on tokens `start ..< start + count`, last stage first. A stage's
    /// input blocks are rebuilt from the previous stage's saved LayerNorm input (affine,
    /// GELU, gather) rather than stored.
    private func stemBackward(_ layers: [ArenaOffsets.StemLayer], start: Int, count: Int) {
        let a = buffers, p = parameters, g = gradients, scratch = a.stemScratch!
        var outputGradient = UnsafePointer(a.residualGradient + start * config.dimension)
        for layer in layers.reversed() {
            let stage = layer.stage
            let previous = stage.index > 0 ? layers[stage.index - 1] : nil
            if let previous, let norm = previous.norm {
                // Leaves GELU′ of the previous stage in `features`, its activations gathered in `blocks`.
                let saved = a.stem[previous.stage.index], rows = count * previous.stage.positions
                layerNormAffine(saved.normalised + start * previous.stage.outputsPerToken, rows: rows,
                                columns: previous.stage.outputChannels, weight: p + norm.weight, bias: p + norm.bias,
                                output: scratch.features)
                geluActivationAndDerivative(scratch.features, activation: scratch.activation,
                                            count: rows * previous.stage.outputChannels)
                gatherBlocks(scratch.activation, layout: stage.inputLayout, tokens: count, into: scratch.blocks)
            } else {
                gatherBlocks(a.patches + start * config.patchFeatures, layout: stage.inputLayout, tokens: count,
                             into: scratch.blocks)
            }
            // The input gradient (in place of the blocks) only where there is a stage below.
            linear.backward(outputGradient: outputGradient, input: scratch.blocks, rows: count * stage.positions,
                            inputs: stage.blockWidth, outputs: stage.outputChannels, weight: p + layer.linear.weight,
                            weightGradient: g + layer.linear.weight, biasGradient: g + layer.linear.bias,
                            inputGradient: previous == nil ? nil : scratch.blocks)
            guard let previous, let norm = previous.norm else { return }

            // Through the previous stage's GELU and LayerNorm to its output gradient.
            let saved = a.stem[previous.stage.index], rows = count * previous.stage.positions
            let width = previous.stage.outputChannels
            scatterBlocks(scratch.blocks, layout: stage.inputLayout, tokens: count, into: scratch.activation)
            multiplyInPlace(scratch.activation, by: scratch.features, count: rows * width)
            layerNormBackward(outputGradient: scratch.activation,
                              normalised: saved.normalised + start * previous.stage.outputsPerToken,
                              inverseDeviation: saved.inverseDeviation + start * previous.stage.positions,
                              weight: p + norm.weight, rows: rows, columns: width,
                              inputGradient: scratch.outputGradient, accumulate: false,
                              weightGradient: g + norm.weight, biasGradient: g + norm.bias)
            outputGradient = UnsafePointer(scratch.outputGradient)
        }
    }
}

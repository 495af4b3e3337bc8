/// The hMLP stem's inference pass (MODEL.md §4.1) over its layers.
extension [ModelLayers.StemLayer] {
    /// Embeds `tokens` patches (`3p²` floats each, `PatchGrid` order) into `tokens × D`
    /// rows of `output`, `blockLength` tokens at a time: every stage is one product over
    /// a block's 2×2-block rows, and the intermediate maps (up to `p²·D/16` floats per
    /// token) need scratch for one token block only.
    func embed(_ patches: UnsafePointer<Float>, tokens: Int, blockLength: Int, epsilon: Float,
               into output: UnsafeMutablePointer<Float>) {
        let stages = map(\.stage)
        let block = Swift.min(blockLength, tokens)
        let blocks = UnsafeMutablePointer<Float>.allocate(capacity: block * stages.scratchWidth)
        let features = UnsafeMutablePointer<Float>.allocate(capacity: block * stages.scratchWidth)
        defer {
            blocks.deallocate()
            features.deallocate()
        }
        let inputWidth = stages[0].inputsPerToken, dimension = stages[stages.count - 1].outputChannels
        for start in stride(from: 0, to: tokens, by: block) {
            let count = Swift.min(block, tokens - start)
            var input = patches + start * inputWidth
            for layer in self {
                gatherBlocks(input, layout: layer.stage.inputLayout, tokens: count, into: blocks)
                let rows = count * layer.stage.positions
                if let norm = layer.norm {
                    layer.linear.apply(blocks, rows: rows, into: features)
                    norm.weight.withUnsafeBufferPointer { weight in
                        norm.bias.withUnsafeBufferPointer { bias in
                            layerNormAndGELU(features, rows: rows, columns: layer.stage.outputChannels,
                                             weight: weight.baseAddress!, bias: bias.baseAddress!, epsilon: epsilon)
                        }
                    }
                    input = UnsafePointer(features)
                } else {
                    layer.linear.apply(blocks, rows: rows, into: output + start * dimension)
                }
            }
        }
    }
}

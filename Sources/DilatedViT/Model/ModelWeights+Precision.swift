extension ModelWeights {
    /// Switches the patch embedding (or every stem stage) and every block's Linear layers
    /// to computing at `precision` (for BF16, each weight is packed once here). Block by
    /// block, so that weights nobody else holds give back their fp32 memory as they are
    /// packed, rather than all at the end. The head stays fp32: six outputs cost nothing,
    /// and the logits keep their last digits.
    mutating func prepare(for precision: MatmulPrecision) {
        switch embedding {
        case .linear(let linear):
            embedding = .linear(linear.with(precision))
        case .hierarchicalMLP(let stem):
            embedding = .hierarchicalMLP(HierarchicalStem(layers: stem.layers.map {
                HierarchicalStem.Layer(stage: $0.stage, linear: $0.linear.with(precision), norm: $0.norm)
            }))
        }
        for i in blocks.indices {
            let block = blocks[i]
            blocks[i] = Block(norm1: block.norm1, qkv: block.qkv.with(precision),
                              projection: block.projection.with(precision), norm2: block.norm2,
                              fc1: block.fc1.with(precision), fc2: block.fc2.with(precision))
        }
    }
}

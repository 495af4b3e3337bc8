extension ModelWeights {
    /// These weights with the patch embedding (or every stem stage) and every block's Linear layers computing at
    /// `precision` (for BF16, each weight is packed once here). The head stays fp32: six
    /// outputs cost nothing, and the logits keep their last digits.
    func prepared(for precision: MatmulPrecision) -> ModelWeights {
        var result = self
        switch embedding {
        case .linear(let linear):
            result.embedding = .linear(linear.with(precision))
        case .hierarchicalMLP(let stem):
            result.embedding = .hierarchicalMLP(HierarchicalStem(layers: stem.layers.map {
                HierarchicalStem.Layer(stage: $0.stage, linear: $0.linear.with(precision), norm: $0.norm)
            }))
        }
        result.blocks = blocks.map { block in
            Block(norm1: block.norm1, qkv: block.qkv.with(precision), projection: block.projection.with(precision),
                  norm2: block.norm2, fc1: block.fc1.with(precision), fc2: block.fc2.with(precision))
        }
        return result
    }
}

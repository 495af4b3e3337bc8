/// A LayerNorm's affine parameters, `width` each.
struct NormWeights: Sendable {
    package let weight: [Float]
    package let bias: [Float]
}

/// The inference model's layers: LayerNorm vectors, and Linear layers computing at a
/// precision.
typealias ModelLayers = ModelParameters<NormWeights, Linear>

extension ModelWeights {
    /// The layers of `config` over this arena, computing at `precision`. In fp32 every
    /// Linear reads its weight straight from the arena (no copy); for BF16 each weight is
    /// packed once here, and no layer keeps the arena, so its memory goes once the caller
    /// lets go of these weights. The head stays fp32 either way: six outputs cost nothing,
    /// and the logits keep their last digits.
    func layers(config: ModelConfig, precision: MatmulPrecision) -> ModelLayers {
        let values = self.values
        func slice(_ offset: Int, _ count: Int) -> [Float] { Array(values[offset..<(offset + count)]) }
        var layers = layout.layerOffsets(config: config).map(
            norm: { NormWeights(weight: slice($0.weight, $0.outputs), bias: slice($0.bias, $0.outputs)) },
            linear: { Linear(arena: values, offset: $0.weight, outputs: $0.outputs, inputs: $0.inputs,
                             bias: slice($0.bias, $0.outputs)) })
        guard precision != .float32 else { return layers }
        let head = layers.head.detached
        layers = layers.map(norm: { $0 }, linear: { $0.with(precision) })
        layers.head = head
        return layers
    }

    /// The arena of `layers` (BF16 weights unpacked to their rounded fp32 values).
    init(_ layers: ModelLayers, config: ModelConfig) {
        let layout = ParameterLayout(config: config)
        var values = [Float](repeating: 0, count: layout.count)
        let offsets = layout.layerOffsets(config: config)
        for (offset, norm) in zip(offsets.allNorms, layers.allNorms) {
            values.replaceSubrange(offset.weight..<(offset.weight + offset.outputs), with: norm.weight)
            values.replaceSubrange(offset.bias..<(offset.bias + offset.outputs), with: norm.bias)
        }
        for (offset, linear) in zip(offsets.allLinears, layers.allLinears) {
            values.replaceSubrange(offset.weight..<(offset.weight + offset.outputs * offset.inputs), with: linear.weight.values)
            values.replaceSubrange(offset.bias..<(offset.bias + offset.outputs), with: linear.bias)
        }
        self.init(layout: layout, values: values)
    }
}

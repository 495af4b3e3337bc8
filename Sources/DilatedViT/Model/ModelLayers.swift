/// A LayerNorm's affine parameters, `width` each.
struct NormWeights: Sendable {
    package let weight: [Float]
    package let bias: [Float]
}

/// The inference model's layers: LayerNorm vectors, and Linear layers computing at a
/// precision.
typealias ModelLayers = ModelParameters<NormWeights, Linear>

extension ModelWeights {
    /// The layers of `config` over this arena, computing at `precision`. Each weight is
    /// packed once here for its kernel and its pages of the arena are given back at once, so
    /// loading peaks at about the arena rather than the arena plus every packed weight; no
    /// layer keeps the arena. (In fp32 without AVX-512, the layers read their weights from
    /// the arena itself: no copy.) The head and the pooling scores stay fp32 either way:
    /// their few outputs cost nothing, and the logits keep their last digits.
    consuming func layers(config: ModelConfig, precision: MatmulPrecision) -> ModelLayers {
        let offsets = layout.layerOffsets(config: config)
        guard precision != .float32 || PackedFloat32Weight.isAccelerated else {
            let values = self.values
            func slice(_ offset: Int, _ count: Int) -> [Float] { Array(values[offset..<(offset + count)]) }
            return offsets.map(
                norm: { NormWeights(weight: slice($0.weight, $0.outputs), bias: slice($0.bias, $0.outputs)) },
                linear: { Linear(arena: values, offset: $0.weight, outputs: $0.outputs, inputs: $0.inputs,
                                 bias: slice($0.bias, $0.outputs)) })
        }
        var arena = values
        values = []  // the arena is now ours alone (unless a caller still shares it: then this copies it)
        return arena.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            func slice(_ offset: Int, _ count: Int) -> [Float] { Array(UnsafeBufferPointer(start: base + offset, count: count)) }
            let fp32Weights = [offsets.head.weight] + (offsets.pool.map { [$0.weight] } ?? [])
            return offsets.map(
                norm: { NormWeights(weight: slice($0.weight, $0.outputs), bias: slice($0.bias, $0.outputs)) },
                linear: { o in
                    let bias = slice(o.bias, o.outputs)
                    let weight = o.weight..<(o.weight + o.outputs * o.inputs)
                    guard !fp32Weights.contains(o.weight) else {
                        return Linear(weight: Matrix(rows: o.outputs, columns: o.inputs,
                                                     values: slice(o.weight, weight.count)), bias: bias)
                    }
                    let packed = Linear(packing: base + o.weight, outputs: o.outputs, inputs: o.inputs, bias: bias,
                                        for: precision)
                    // Only whole pages inside the weight go: its neighbours are still to be read.
                    let stride = MemoryLayout<Float>.stride
                    releasePages(UnsafeMutableRawPointer(base), bytes: weight.lowerBound * stride..<weight.upperBound * stride)
                    return packed
                })
        }
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

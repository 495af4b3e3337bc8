import DilatedViT

/// The training forward of one block: every layer runs on the whole stacked batch at once
/// and keeps in `saved` what the backward needs (`TrainingActivations.Block`).
struct TrainingBlockPass: BlockForwardPass {
    let pass: TrainingPass
    let saved: TrainingActivations.Block

    /// The whole batch, `pass.tokens` rows.
    var attentionRows: [Int] { [pass.tokens] }
    var mlpRows: [Int] { [pass.tokens] }
    private var buffers: TrainingActivations { pass.buffers }
    private var d: Int { pass.config.dimension }

    func norm1(_ rows: Int, _ norm: LayerOffsets) -> UnsafeMutablePointer<Float> {
        normalise(rows, norm, normalised: saved.norm1Normalised, inverseDeviation: saved.norm1InverseDeviation)
    }

    func qkv(_ input: UnsafeMutablePointer<Float>, _ rows: Int, _ layer: LayerOffsets) -> UnsafeMutablePointer<Float> {
        apply(layer, to: input, rows: rows, into: saved.qkv)
        return saved.qkv
    }

    func attention(_ qkv: UnsafeMutablePointer<Float>, _ rows: Int) -> UnsafeMutablePointer<Float> {
        pass.attention.forward(qkv: qkv, output: saved.attention, logSumExp: saved.logSumExp)
        return saved.attention
    }

    func addProjection(_ input: UnsafeMutablePointer<Float>, _ rows: Int, _ layer: LayerOffsets) {
        apply(layer, to: input, rows: rows, into: buffers.residual, accumulate: true)
    }

    func norm2(_ rows: Int, _ norm: LayerOffsets) -> UnsafeMutablePointer<Float> {
        normalise(rows, norm, normalised: saved.norm2Normalised, inverseDeviation: saved.norm2InverseDeviation)
    }

    func fc1GELU(_ input: UnsafeMutablePointer<Float>, _ rows: Int, _ layer: LayerOffsets) -> UnsafeMutablePointer<Float> {
        apply(layer, to: input, rows: rows, into: saved.fc1Output)
        geluForward(saved.fc1Output, into: buffers.hidden, count: rows * layer.outputs)
        return buffers.hidden
    }

    func addFC2(_ input: UnsafeMutablePointer<Float>, _ rows: Int, _ layer: LayerOffsets) {
        apply(layer, to: input, rows: rows, into: buffers.residual, accumulate: true)
    }

    /// LayerNorm of the residual stream into the shared output rows, keeping `x̂` and `1/σ`.
    private func normalise(_ rows: Int, _ norm: LayerOffsets, normalised: UnsafeMutablePointer<Float>,
                           inverseDeviation: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        let p = pass.parameters
        layerNormForward(buffers.residual, rows: rows, columns: d, weight: p + norm.weight, bias: p + norm.bias,
                         epsilon: pass.config.layerNormEpsilon, normalised: normalised,
                         inverseDeviation: inverseDeviation, output: buffers.normalisedOutput)
        return buffers.normalisedOutput
    }

    private func apply(_ layer: LayerOffsets, to input: UnsafeMutablePointer<Float>, rows: Int,
                       into output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let p = pass.parameters
        pass.linear.forward(input, rows: rows, inputs: layer.inputs, outputs: layer.outputs, weight: p + layer.weight,
                            bias: p + layer.bias, into: output, accumulate: accumulate)
    }
}

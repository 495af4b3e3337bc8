/// How one forward pass runs a block's layers: where their outputs go and which token rows
/// each runs on at once. Inference (`InferenceBlockPass`) streams attention band by band and
/// the MLP token block by token block, keeping nothing; training runs the whole batch and
/// keeps what the backward needs. The order of the layer calls is written once, for both,
/// in `ModelParameters.Block.forward(_:)`.
///
/// Each step returns the buffer holding its output, which the next step reads.
package protocol BlockForwardPass {
    associatedtype Norm
    associatedtype Layer
    /// Token rows an attention branch runs on at once (a band of the grid, or the batch).
    associatedtype AttentionRows
    /// Token rows an MLP branch runs on at once (a token block, or the batch).
    associatedtype MLPRows

    var attentionRows: [AttentionRows] { get }
    var mlpRows: [MLPRows] { get }

    /// Work the attention branch needs from the block's input before its rows are
    /// processed one by one (inference: the levels wider than a band, `SpanningLevels`).
    func prepareAttention(_ norm1: Norm, _ qkv: Layer)

    /// `LN1(x)` of `rows`.
    func norm1(_ rows: AttentionRows, _ norm: Norm) -> UnsafeMutablePointer<Float>
    /// `[q | k | v] = QKV(input)`.
    func qkv(_ input: UnsafeMutablePointer<Float>, _ rows: AttentionRows, _ layer: Layer) -> UnsafeMutablePointer<Float>
    /// The multi-head attention output of `qkv` (MODEL.md §5).
    func attention(_ qkv: UnsafeMutablePointer<Float>, _ rows: AttentionRows) -> UnsafeMutablePointer<Float>
    /// `x += Proj(input)` on `rows`.
    func addProjection(_ input: UnsafeMutablePointer<Float>, _ rows: AttentionRows, _ layer: Layer)
    /// `LN2(x)` of `rows`.
    func norm2(_ rows: MLPRows, _ norm: Norm) -> UnsafeMutablePointer<Float>
    /// `GELU(FC1(input))`.
    func fc1GELU(_ input: UnsafeMutablePointer<Float>, _ rows: MLPRows, _ layer: Layer) -> UnsafeMutablePointer<Float>
    /// `x += FC2(input)` on `rows`.
    func addFC2(_ input: UnsafeMutablePointer<Float>, _ rows: MLPRows, _ layer: Layer)
}

extension BlockForwardPass {
    package func prepareAttention(_ norm1: Norm, _ qkv: Layer) {}
}

extension ModelParameters.Block {
    /// One pre-norm transformer block (MODEL.md §4) on the residual stream `x` of `pass`:
    /// `x = x + Proj(Attn(QKV(LN1(x))))`, then `x = x + FC2(GELU(FC1(LN2(x))))`.
    package func forward<Pass: BlockForwardPass>(_ pass: Pass)
    where Pass.Norm == NormLayer, Pass.Layer == LinearLayer {
        pass.prepareAttention(norm1, qkv)
        for rows in pass.attentionRows {
            let normalised = pass.norm1(rows, norm1)
            let qkv = pass.qkv(normalised, rows, self.qkv)
            pass.addProjection(pass.attention(qkv, rows), rows, projection)
        }
        for rows in pass.mlpRows {
            let normalised = pass.norm2(rows, norm2)
            pass.addFC2(pass.fc1GELU(normalised, rows, fc1), rows, fc2)
        }
    }
}

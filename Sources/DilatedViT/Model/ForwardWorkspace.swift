/// The activation buffers of one forward pass, allocated once, reused by every block and
/// freed with the workspace.
///
/// Peak memory is the `N × D` residual stream plus buffers for one attention band
/// (`AttentionBands`) and one MLP token block: attention runs band by band and the MLP
/// block by block, so only the residual grows with the whole grid.
struct ForwardWorkspace {
    let tokenCount: Int
    let blockLength: Int
    /// Residual stream `x`, `N × D`.
    let residual: UnsafeMutablePointer<Float>
    /// `LN1(x)`, then the attention output, of one band: `bandTokens × D`.
    let normalised: UnsafeMutablePointer<Float>
    /// `[q | k | v]` rows of one band, `bandTokens × 3D`.
    let qkv: UnsafeMutablePointer<Float>
    /// The band's attention log-sum-exp per token and head, `bandTokens × H` (merging
    /// `SpanningLevels`).
    let logSumExp: UnsafeMutablePointer<Float>
    /// `LN2(x)` of one token block (`blockLength × D`) and its MLP hidden activations
    /// (`blockLength × hidden`).
    let blockNormalised, blockHidden: UnsafeMutablePointer<Float>
    private let buffers: FloatBuffers

    init(tokenCount: Int, bandTokens: Int, dimension: Int, heads: Int, hiddenDimension: Int, blockLength: Int) {
        self.tokenCount = tokenCount
        self.blockLength = min(blockLength, tokenCount)
        let buffers = FloatBuffers()
        self.buffers = buffers
        residual = buffers.take(tokenCount * dimension)
        normalised = buffers.take(bandTokens * dimension)
        qkv = buffers.take(bandTokens * 3 * dimension)
        logSumExp = buffers.take(bandTokens * heads)
        blockNormalised = buffers.take(self.blockLength * dimension)
        blockHidden = buffers.take(self.blockLength * hiddenDimension)
    }

    /// Each token block, in order.
    package var blocks: [TokenBlock] { blocks(in: 0..<tokenCount) }

    /// The token blocks of `tokens`, in order.
    func blocks(in tokens: Range<Int>) -> [TokenBlock] {
        stride(from: tokens.lowerBound, to: tokens.upperBound, by: blockLength).map {
            ($0, min(blockLength, tokens.upperBound - $0))
        }
    }
}

/// `count` consecutive tokens from `start`: one MLP (or final LayerNorm) block.
package typealias TokenBlock = (start: Int, count: Int)

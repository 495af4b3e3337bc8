/// The activation buffers of one forward pass, allocated once and reused by every block.
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
    /// `LN2(x)` of one token block, `blockLength × D`.
    let blockNormalised: UnsafeMutablePointer<Float>
    /// MLP hidden activations of one token block, `blockLength × hidden`.
    let blockHidden: UnsafeMutablePointer<Float>

    init(tokenCount: Int, bandTokens: Int, dimension: Int, heads: Int, hiddenDimension: Int, blockLength: Int) {
        self.tokenCount = tokenCount
        self.blockLength = min(blockLength, tokenCount)
        residual = .allocate(capacity: tokenCount * dimension)
        normalised = .allocate(capacity: bandTokens * dimension)
        qkv = .allocate(capacity: bandTokens * 3 * dimension)
        logSumExp = .allocate(capacity: bandTokens * heads)
        blockNormalised = .allocate(capacity: self.blockLength * dimension)
        blockHidden = .allocate(capacity: self.blockLength * hiddenDimension)
    }

    func deallocate() {
        for buffer in [residual, normalised, qkv, logSumExp, blockNormalised, blockHidden] { buffer.deallocate() }
    }

    /// Each token block, in order.
    package var blocks: [TokenBlock] {
        stride(from: 0, to: tokenCount, by: blockLength).map { ($0, min(blockLength, tokenCount - $0)) }
    }
}

/// `count` consecutive tokens from `start`: one MLP (or final LayerNorm) block.
package typealias TokenBlock = (start: Int, count: Int)

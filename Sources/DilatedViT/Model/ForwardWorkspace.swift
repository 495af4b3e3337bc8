/// The activation buffers of one forward pass, allocated once and reused by every block.
///
/// Peak memory is `O(N·D)`: the residual stream, a normalised copy that also receives
/// the attention output, and the `N × 3D` qkv. The MLP runs in token blocks, so its
/// `hidden`-wide activations need only `blockLength` rows.
struct ForwardWorkspace {
    let tokenCount: Int
    let blockLength: Int
    /// Residual stream `x`, `N × D`.
    let residual: UnsafeMutablePointer<Float>
    /// `LN1(x)`, then the attention output, `N × D`.
    let normalised: UnsafeMutablePointer<Float>
    /// `[q | k | v]` rows, `N × 3D`.
    let qkv: UnsafeMutablePointer<Float>
    /// `LN2(x)` of one token block, `blockLength × D`.
    let blockNormalised: UnsafeMutablePointer<Float>
    /// MLP hidden activations of one token block, `blockLength × hidden`.
    let blockHidden: UnsafeMutablePointer<Float>

    init(tokenCount: Int, dimension: Int, hiddenDimension: Int, blockLength: Int) {
        self.tokenCount = tokenCount
        self.blockLength = min(blockLength, tokenCount)
        residual = .allocate(capacity: tokenCount * dimension)
        normalised = .allocate(capacity: tokenCount * dimension)
        qkv = .allocate(capacity: tokenCount * 3 * dimension)
        blockNormalised = .allocate(capacity: self.blockLength * dimension)
        blockHidden = .allocate(capacity: self.blockLength * hiddenDimension)
    }

    func deallocate() {
        for buffer in [residual, normalised, qkv, blockNormalised, blockHidden] { buffer.deallocate() }
    }

    /// `(start, count)` of each token block, in order.
    var blocks: [(start: Int, count: Int)] {
        stride(from: 0, to: tokenCount, by: blockLength).map { ($0, min(blockLength, tokenCount - $0)) }
    }
}

/// How a block's self-attention chooses which tokens each token sees.
public enum AttentionMode: String, Sendable, CaseIterable {
    /// LongNet-style dilated attention over the config's levels: linear in the token count.
    case dilated
    /// Plain softmax over all tokens (computed blockwise, never as an N×N matrix):
    /// quadratic, for comparison and small grids.
    case dense
}

/// One (segment, dilation) level of dilated attention: square `segment × segment` tiles
/// of the patch grid, inside which every `dilation`-th token in each direction is kept.
public struct AttentionLevel: Sendable, Hashable, Codable {
    public var segment: Int
    public var dilation: Int

    public init(segment: Int, dilation: Int) {
        self.segment = segment
        self.dilation = dilation
    }

    /// Side of the window on the dilated sub-lattice: `segment / dilation` tokens.
    public var windowSide: Int { segment / dilation }
}

/// The position code added to patch embeddings (a config option so that future codes
/// are named, never silently swapped).
public enum PositionCode: String, Sendable, CaseIterable {
    /// Fixed 2D sine-cosine code (MAE style), see MODEL.md.
    case sinCos2D = "sincos2d"
}

/// How token features become one image feature vector.
public enum Pooling: String, Sendable, CaseIterable {
    /// Mean over all tokens after the final LayerNorm.
    case mean
}

/// How a block's self-attention chooses which tokens each token sees.
public enum AttentionMode: String, Sendable, CaseIterable {
    /// LongNet-style dilated attention over the config's levels: linear in the token count.
    case dilated
    /// Plain softmax over all tokens (computed blockwise, never as an N×N matrix):
    /// quadratic, for comparison and small grids.
    case dense
}

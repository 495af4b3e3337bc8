/// The position code added to patch embeddings (a config option so that future codes
/// are named, never silently swapped).
public enum PositionCode: String, Sendable, CaseIterable {
    /// Fixed 2D sine-cosine code (MAE style) of the patch row and column, see MODEL.md.
    case sinCos2D = "sincos2d"
    /// The same code of coordinates scaled so the grid's longer side spans
    /// `ModelArchitecture.positionSpan` patches, whatever the grid's size (Model v2).
    case sinCos2DNormalised = "sincos2d_normalised"
}

/// How token features become one image feature vector.
public enum Pooling: String, Sendable, CaseIterable {
    /// Mean over all tokens after the final LayerNorm.
    case mean
    /// Per head, a softmax over tokens of a learned score (`pool.score`, one Linear
    /// `D → H`) weights the head's channels (Model v2).
    case attention
}

/// Which attention levels a grid gets (a config option, so the rule is named).
public enum LevelRule: String, Sendable, CaseIterable {
    /// Exactly the config's `levels`.
    case fixed
    /// The config's levels, then levels doubling the last one's segment and dilation
    /// (same window) until one segment covers the grid's longer side (Model v2).
    case toGrid = "to_grid"
}

/// How a patch's `3·p·p` pixels become its token (MODEL.md §4.1).
public enum PatchEmbedding: String, Sendable, CaseIterable {
    /// One linear map per patch: `Conv2d(3→D, kernel p, stride p)`.
    case linear
    /// The hierarchical-MLP stem (Touvron et al. 2022): `log₂ p` stages of 2×2 stride-2
    /// convolutions, LayerNorm + GELU between them; still patch-local. Needs `p` a power
    /// of two ≥ 4.
    case hierarchicalMLP = "hmlp"
}

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

/// How a patch's `3·p·p` pixels become its token (MODEL.md §4.1).
public enum PatchEmbedding: String, Sendable, CaseIterable {
    /// One linear map per patch: `Conv2d(3→D, kernel p, stride p)`.
    case linear
    /// The hierarchical-MLP stem (Touvron et al. 2022): `log₂ p` stages of 2×2 stride-2
    /// convolutions, LayerNorm + GELU between them; still patch-local. Needs `p` a power
    /// of two ≥ 4.
    case hierarchicalMLP = "hmlp"
}

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

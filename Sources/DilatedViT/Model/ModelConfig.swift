import Foundation

/// A DilatedViT model's config: the JSON that ships beside the weights. It holds two
/// things kept apart: the `architecture` (everything the weights depend on, so two models
/// can share weights exactly when their architectures are equal) and the `reading`
/// policy (how photos are read by default, which a training run sets from its recipe).
/// The architecture's properties read directly on the config (`config.dimension`).
///
/// Keys are snake_case (see `CodingKeys`); `patch_embedding`, `attention`,
/// `position_code`, `pooling`, `coarse_view_tokens`, `layer_norm_eps`, `train_resolution` and
/// `default_max_tokens` may be omitted and then take the documented defaults. The
/// initialisers validate and throw `ModelConfigError` naming the key at fault; code that
/// changes properties afterwards should call `validate()` again (`DilatedViTModel` insists
/// on a valid config).
@dynamicMemberLookup
public struct ModelConfig: Sendable, Equatable {
    public static let formatIdentifier = "dilatedvit-v1"
    /// The format of configs that use a Model v2 option (`ModelArchitecture.isVersion2`).
    public static let version2FormatIdentifier = "dilatedvit-v2"

    public var architecture: ModelArchitecture
    public var reading: ReadingPolicy

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<ModelArchitecture, Value>) -> Value {
        get { architecture[keyPath: keyPath] }
        set { architecture[keyPath: keyPath] = newValue }
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<ModelArchitecture, Value>) -> Value {
        architecture[keyPath: keyPath]
    }

    public init(dimension: Int, depth: Int, heads: Int, patchSize: Int,
                patchEmbedding: PatchEmbedding = .linear, mlpRatio: Double = 4,
                levels: [AttentionLevel], levelRule: LevelRule = .fixed, attention: AttentionMode = .dilated,
                positionCode: PositionCode = .sinCos2D, positionSpan: Int = 16, pooling: Pooling = .mean,
                coarseViewTokens: Int = 0, coarseViewBalance: Double = 0.5, layerNormEpsilon: Float = 1e-6,
                mean: [Float] = [0.5, 0.5, 0.5], std: [Float] = [0.5, 0.5, 0.5],
                labels: [String], trainResolution: Int? = nil,
                defaultMaxTokens: Int = 1024) throws(ModelConfigError) {
        architecture = ModelArchitecture(
            dimension: dimension, depth: depth, heads: heads, patchSize: patchSize, patchEmbedding: patchEmbedding,
            mlpRatio: mlpRatio, levels: levels, levelRule: levelRule, attention: attention,
            positionCode: positionCode, positionSpan: positionSpan, pooling: pooling,
            coarseViewTokens: coarseViewTokens, coarseViewBalance: coarseViewBalance, layerNormEpsilon: layerNormEpsilon, mean: mean, std: std, labels: labels)
        reading = ReadingPolicy(trainResolution: trainResolution, defaultMaxTokens: defaultMaxTokens)
        try validate()
    }

    /// Checks every rule the model relies on.
    public func validate() throws(ModelConfigError) {
        try architecture.validate()
        try reading.validate()
    }
}

/// How photos are read when a caller does not say: recorded by training, never part of
/// what the weights depend on.
public struct ReadingPolicy: Sendable, Equatable {
    /// Image side the model was trained (validated) at, if recorded.
    public var trainResolution: Int?
    /// Default token budget for choosing an image's working resolution.
    public var defaultMaxTokens: Int

    public init(trainResolution: Int? = nil, defaultMaxTokens: Int = 1024) {
        self.trainResolution = trainResolution
        self.defaultMaxTokens = defaultMaxTokens
    }

    func validate() throws(ModelConfigError) {
        if let trainResolution, trainResolution <= 0 {
            throw .invalidValue(key: "train_resolution", reason: "must be positive, found \(trainResolution)")
        }
        guard defaultMaxTokens > 0 else {
            throw .invalidValue(key: "default_max_tokens", reason: "must be positive, found \(defaultMaxTokens)")
        }
        guard defaultMaxTokens <= ModelArchitecture.maxTokenBudget else {
            throw .invalidValue(key: "default_max_tokens",
                                reason: "must be at most \(ModelArchitecture.maxTokenBudget), found \(defaultMaxTokens)")
        }
    }
}

/// Everything a model's weights depend on: sizes, layers, attention levels, input
/// normalisation and the labels.
public struct ModelArchitecture: Sendable, Equatable {
    /// Token width `D`.
    public var dimension: Int
    /// Number of transformer blocks.
    public var depth: Int
    public var heads: Int
    /// Side `p` of the square patches.
    public var patchSize: Int
    /// How patches become tokens: one linear map, or the hMLP stem.
    public var patchEmbedding: PatchEmbedding
    /// Hidden width of the MLP as a multiple of `dimension`.
    public var mlpRatio: Double
    /// Dilated-attention levels; the first has dilation 1 so every token is covered.
    public var levels: [AttentionLevel]
    /// How a grid's levels follow from `levels` (`attentionLevels(rows:columns:)`).
    public var levelRule: LevelRule
    /// The attention used when a caller does not choose one.
    public var attention: AttentionMode
    public var positionCode: PositionCode
    /// Patches the longer grid side spans in `PositionCode.sinCos2DNormalised`.
    public var positionSpan: Int
    public var pooling: Pooling
    /// Budget of the coarse view pooled beside every larger grid (`CoarseView`); 0: none.
    public var coarseViewTokens: Int
    /// How much the view weighs in the pool against the grid's `N` tokens: its scores are
    /// raised by `balance · log(N / Nview)` (MODEL.md §9.4).
    public var coarseViewBalance: Double
    public var layerNormEpsilon: Float
    /// Per-channel pixel normalisation `(x/255 − mean) / std`.
    public var mean: [Float]
    public var std: [Float]
    /// Class names, in logit order.
    public var labels: [String]

    public var headDimension: Int { dimension / heads }
    /// Whether any option needs format `dilatedvit-v2` (MODEL.md §9).
    public var isVersion2: Bool { !version2Keys.isEmpty }

    /// The config keys set to a Model v2 value.
    var version2Keys: [String] {
        (levelRule != .fixed ? ["level_rule"] : []) + (positionCode != .sinCos2D ? ["position_code"] : [])
            + (pooling != .mean ? ["pooling"] : []) + (coarseViewTokens != 0 ? ["coarse_view_tokens"] : [])
    }
    public var hiddenDimension: Int { Int((mlpRatio * Double(dimension)).rounded()) }
    public var classCount: Int { labels.count }
    /// Floats per token in a `PatchGrid`: `3·p·p`.
    public var patchFeatures: Int { 3 * patchSize * patchSize }

    /// Upper bounds far above any real model. A config comes from a file, so without them
    /// a hostile one could make the sizes derived from it (`3·dim`, the MLP width, `3·p²`,
    /// the tensor list) overflow `Int` — a trap — or ask for absurd allocations.
    public static let maxDimension = 1 << 16
    public static let maxDepth = 1024
    public static let maxPatchSize = 1024
    public static let maxHiddenDimension = 1 << 20
    public static let maxLevels = 64
    public static let maxSegment = 1 << 16
    public static let maxLabels = 1 << 20
    public static let maxTokenBudget = 1 << 30

    /// Checks every rule the model relies on.
    public func validate() throws(ModelConfigError) {
        func require(_ condition: Bool, _ key: String, _ reason: @autoclosure () -> String) throws(ModelConfigError) {
            if !condition { throw .invalidValue(key: key, reason: reason()) }
        }
        try require(dimension > 0, "dim", "must be positive, found \(dimension)")
        try require(dimension <= Self.maxDimension, "dim", "must be at most \(Self.maxDimension), found \(dimension)")
        try require(depth > 0, "depth", "must be positive, found \(depth)")
        try require(depth <= Self.maxDepth, "depth", "must be at most \(Self.maxDepth), found \(depth)")
        try require(heads > 0, "heads", "must be positive, found \(heads)")
        try require(dimension % heads == 0, "dim", "(\(dimension)) must be divisible by heads (\(heads))")
        try require(dimension % 4 == 0, "dim",
                    "(\(dimension)) must be divisible by 4 for the 2D sin-cos position code")
        try require(patchSize > 0, "patch_size", "must be positive, found \(patchSize)")
        try require(patchSize <= Self.maxPatchSize, "patch_size",
                    "must be at most \(Self.maxPatchSize), found \(patchSize)")
        if patchEmbedding == .hierarchicalMLP {
            try require(patchSize >= 4 && patchSize & (patchSize - 1) == 0, "patch_size",
                        "must be a power of two ≥ 4 for patch_embedding \"hmlp\", found \(patchSize)")
        }
        let hidden = mlpRatio * Double(dimension)
        try require(mlpRatio > 0 && hidden == hidden.rounded(), "mlp_ratio",
                    "(\(mlpRatio)) × dim (\(dimension)) must be a positive whole number")
        // Checked before `hiddenDimension` converts it to Int, which traps past Int.max.
        try require(hidden <= Double(Self.maxHiddenDimension), "mlp_ratio",
                    "(\(mlpRatio)) × dim (\(dimension)) must be at most \(Self.maxHiddenDimension)")
        try require(!levels.isEmpty, "levels", "must list at least one level")
        try require(levels.count <= Self.maxLevels, "levels",
                    "must list at most \(Self.maxLevels) levels, found \(levels.count)")
        for (i, level) in levels.enumerated() {
            try require(level.segment > 0, "levels[\(i)].segment", "must be positive, found \(level.segment)")
            try require(level.segment <= Self.maxSegment, "levels[\(i)].segment",
                        "must be at most \(Self.maxSegment), found \(level.segment)")
            try require(level.dilation > 0, "levels[\(i)].dilation", "must be positive, found \(level.dilation)")
            try require(level.segment % level.dilation == 0, "levels[\(i)].segment",
                        "(\(level.segment)) must be a multiple of its dilation (\(level.dilation))")
        }
        try require(levels[0].dilation == 1, "levels[0].dilation",
                    "must be 1 so that every token is attended, found \(levels[0].dilation)")
        try require(positionSpan > 0 && positionSpan <= Self.maxSegment, "position_span",
                    "must be in 1...\(Self.maxSegment), found \(positionSpan)")
        try require(coarseViewTokens >= 0 && coarseViewTokens <= Self.maxTokenBudget, "coarse_view_tokens",
                    "must be in 0...\(Self.maxTokenBudget), found \(coarseViewTokens)")
        try require(coarseViewBalance >= 0 && coarseViewBalance <= 1, "coarse_view_balance",
                    "must be in 0...1, found \(coarseViewBalance)")
        try require(coarseViewTokens == 0 || pooling == .attention, "coarse_view_tokens",
                    "needs pooling \"attention\" (the view joins the pool's softmax), found \"\(pooling.rawValue)\"")
        try require(layerNormEpsilon > 0 && layerNormEpsilon.isFinite, "layer_norm_eps",
                    "must be positive, found \(layerNormEpsilon)")
        try require(mean.count == 3, "mean", "must have 3 entries (R, G, B), found \(mean.count)")
        try require(std.count == 3, "std", "must have 3 entries (R, G, B), found \(std.count)")
        try require(std.allSatisfy { $0 > 0 && $0.isFinite }, "std", "entries must be positive")
        try require(!labels.isEmpty, "labels", "must name at least one class")
        try require(labels.count <= Self.maxLabels, "labels",
                    "must name at most \(Self.maxLabels) classes, found \(labels.count)")
    }
}

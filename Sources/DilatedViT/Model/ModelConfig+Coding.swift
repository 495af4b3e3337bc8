import Foundation

extension ModelConfig: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, depth, heads, levels, attention, pooling, mean, std, labels
        case dimension = "dim"
        case patchSize = "patch_size"
        case patchEmbedding = "patch_embedding"
        case mlpRatio = "mlp_ratio"
        case positionCode = "position_code"
        case positionSpan = "position_span"
        case levelRule = "level_rule"
        case coarseViewTokens = "coarse_view_tokens"
        case coarseViewBalance = "coarse_view_balance"
        case layerNormEpsilon = "layer_norm_eps"
        case trainResolution = "train_resolution"
        case defaultMaxTokens = "default_max_tokens"
    }

    /// Reads a config JSON file.
    public init(contentsOf url: URL) throws(ModelConfigError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .cannotRead(path: url.path, reason: error.localizedDescription)
        }
        try self.init(jsonData: data)
    }

    public init(jsonData: Data) throws(ModelConfigError) {
        do {
            self = try JSONDecoder().decode(ModelConfig.self, from: jsonData)
        } catch let error as ModelConfigError {
            throw error
        } catch DecodingError.dataCorrupted(let context) {
            throw .notJSON(reason: context.debugDescription)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw .notJSON(reason: context.debugDescription)
        } catch {
            throw .notJSON(reason: "\(error)")
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format: String = try container.require(.format, "a string")
        let formats = [Self.formatIdentifier, Self.version2FormatIdentifier]
        guard formats.contains(format) else {
            throw ModelConfigError.unsupportedValue(key: "format", value: format, supported: formats)
        }
        let levels: [LevelFields] = try container.require(.levels, "an array of {\"segment\", \"dilation\"} objects")
        let config = try ModelConfig(
            dimension: container.require(.dimension, "an integer"),
            depth: container.require(.depth, "an integer"),
            heads: container.require(.heads, "an integer"),
            patchSize: container.require(.patchSize, "an integer"),
            patchEmbedding: container.option(.patchEmbedding, default: .linear),
            mlpRatio: container.require(.mlpRatio, "a number"),
            levels: levels.map { AttentionLevel(segment: $0.segment, dilation: $0.dilation) },
            levelRule: container.option(.levelRule, default: .fixed),
            attention: container.option(.attention, default: .dilated),
            positionCode: container.option(.positionCode, default: .sinCos2D),
            positionSpan: container.optional(.positionSpan, "an integer") ?? 16,
            pooling: container.option(.pooling, default: .mean),
            coarseViewTokens: container.optional(.coarseViewTokens, "an integer") ?? 0,
            coarseViewBalance: container.optional(.coarseViewBalance, "a number") ?? 0.5,
            layerNormEpsilon: container.optional(.layerNormEpsilon, "a number") ?? 1e-6,
            mean: container.require(.mean, "an array of 3 numbers"),
            std: container.require(.std, "an array of 3 numbers"),
            labels: container.require(.labels, "an array of strings"),
            trainResolution: container.optional(.trainResolution, "an integer"),
            defaultMaxTokens: container.optional(.defaultMaxTokens, "an integer") ?? 1024)
        // A v1 file stays a v1 model: a v2 option in it is a mistake, not an upgrade.
        if format == Self.formatIdentifier, let key = config.architecture.version2Keys.first {
            throw ModelConfigError.invalidValue(
                key: key, reason: "needs format \"\(Self.version2FormatIdentifier)\" (this file says \"\(format)\")")
        }
        self = config
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let v2 = architecture.isVersion2
        try container.encode(v2 ? Self.version2FormatIdentifier : Self.formatIdentifier, forKey: .format)
        try container.encode(architecture.dimension, forKey: .dimension)
        try container.encode(architecture.depth, forKey: .depth)
        try container.encode(architecture.heads, forKey: .heads)
        try container.encode(architecture.patchSize, forKey: .patchSize)
        try container.encode(architecture.patchEmbedding.rawValue, forKey: .patchEmbedding)
        try container.encode(architecture.mlpRatio, forKey: .mlpRatio)
        try container.encode(architecture.levels, forKey: .levels)
        try container.encode(architecture.attention.rawValue, forKey: .attention)
        try container.encode(architecture.positionCode.rawValue, forKey: .positionCode)
        // v1 files keep exactly their v1 keys.
        if v2 {
            try container.encode(architecture.levelRule.rawValue, forKey: .levelRule)
            try container.encode(architecture.positionSpan, forKey: .positionSpan)
        }
        try container.encode(architecture.pooling.rawValue, forKey: .pooling)
        if architecture.coarseViewTokens != 0 {
            try container.encode(architecture.coarseViewTokens, forKey: .coarseViewTokens)
            try container.encode(architecture.coarseViewBalance, forKey: .coarseViewBalance)
        }
        try container.encode(architecture.layerNormEpsilon, forKey: .layerNormEpsilon)
        try container.encode(architecture.mean, forKey: .mean)
        try container.encode(architecture.std, forKey: .std)
        try container.encode(architecture.labels, forKey: .labels)
        try container.encodeIfPresent(reading.trainResolution, forKey: .trainResolution)
        try container.encode(reading.defaultMaxTokens, forKey: .defaultMaxTokens)
    }

    /// Pretty, key-sorted JSON, as shipped beside the weights.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain numbers, strings and arrays cannot fail.
        return try! encoder.encode(self)
    }
}

/// A level as written in JSON; decoded separately so a bad level names its key.
private struct LevelFields: Decodable {
    var segment: Int
    var dilation: Int
}

private extension KeyedDecodingContainer where Key == ModelConfig.CodingKeys {
    func require<T: Decodable>(_ key: Key, _ expected: String) throws -> T {
        guard contains(key) else { throw ModelConfigError.missingKey(key.rawValue) }
        guard let value = try optional(key, expected) as T? else {
            throw ModelConfigError.missingKey(key.rawValue)
        }
        return value
    }

    func optional<T: Decodable>(_ key: Key, _ expected: String) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch {
            throw ModelConfigError.wrongType(key: key.rawValue, expected: expected)
        }
    }

    /// A string-valued option (`patch_embedding`, `attention`, `position_code`, `pooling`); unknown values are
    /// errors that list what is supported.
    func option<T: RawRepresentable & CaseIterable>(_ key: Key, default value: T) throws -> T
    where T.RawValue == String {
        guard let name: String = try optional(key, "a string") else { return value }
        guard let option = T(rawValue: name) else {
            throw ModelConfigError.unsupportedValue(key: key.rawValue, value: name,
                                                    supported: T.allCases.map(\.rawValue))
        }
        return option
    }
}

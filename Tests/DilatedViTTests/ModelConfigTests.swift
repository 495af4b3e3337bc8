import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ModelConfigTests {
    static let sample = """
    {"format":"dilatedvit-v1","dim":32,"depth":2,"heads":4,"patch_size":4,"mlp_ratio":4,
     "levels":[{"segment":4,"dilation":1},{"segment":8,"dilation":2}],"attention":"dilated",
     "position_code":"sincos2d","pooling":"mean","layer_norm_eps":1e-6,
     "mean":[0.5,0.5,0.5],"std":[0.5,0.5,0.5],"labels":["a","b","c"],
     "train_resolution":128,"default_max_tokens":1024}
    """

    /// The sample with `key` replaced by `json` (or removed when `json` is nil).
    static func variant(_ key: String, _ json: String?) -> Data {
        var object = try! JSONSerialization.jsonObject(with: Data(sample.utf8)) as! [String: Any]
        object[key] = json.map { try! JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    static func error(_ data: Data) -> ModelConfigError? {
        do {
            _ = try ModelConfig(jsonData: data)
            return nil
        } catch {
            return error
        }
    }

    @Test func decodesTheSharedContract() throws {
        let config = try ModelConfig(jsonData: Data(Self.sample.utf8))
        #expect(config.dimension == 32 && config.depth == 2 && config.heads == 4 && config.patchSize == 4)
        #expect(config.hiddenDimension == 128 && config.headDimension == 8 && config.patchFeatures == 48)
        #expect(config.levels == [AttentionLevel(segment: 4, dilation: 1), AttentionLevel(segment: 8, dilation: 2)])
        #expect(config.attention == .dilated && config.positionCode == .sinCos2D && config.pooling == .mean)
        #expect(config.layerNormEpsilon == 1e-6 && config.labels == ["a", "b", "c"])
        #expect(config.reading.trainResolution == 128 && config.reading.defaultMaxTokens == 1024)
    }

    @Test func encodingRoundTrips() throws {
        let config = try ModelConfig(jsonData: Data(Self.sample.utf8))
        let again = try ModelConfig(jsonData: config.jsonData())
        #expect(again == config)
        let text = String(decoding: config.jsonData(), as: UTF8.self)
        #expect(text.contains("\"patch_size\"") && text.contains("\"format\" : \"dilatedvit-v1\""))
    }

    /// A v2 file names its options; saving writes format v2 with every v2 key, and a v1
    /// config keeps exactly its v1 keys.
    @Test func version2RoundTripsAndV1StaysV1() throws {
        var object = try JSONSerialization.jsonObject(with: Data(Self.sample.utf8)) as! [String: Any]
        object["format"] = "dilatedvit-v2"
        object["level_rule"] = "to_grid"
        object["position_code"] = "sincos2d_normalised"
        object["pooling"] = "attention"
        let config = try ModelConfig(jsonData: JSONSerialization.data(withJSONObject: object))
        #expect(config.levelRule == .toGrid && config.positionCode == .sinCos2DNormalised && config.pooling == .attention)
        #expect(config.positionSpan == 16 && config.isVersion2)
        let text = String(decoding: config.jsonData(), as: UTF8.self)
        #expect(text.contains("\"format\" : \"dilatedvit-v2\"") && text.contains("\"level_rule\" : \"to_grid\""))
        #expect(try ModelConfig(jsonData: config.jsonData()) == config)
        #expect(config.coarseViewTokens == 0 && !text.contains("coarse_view_tokens"))
        object["coarse_view_tokens"] = 256
        let viewed = try ModelConfig(jsonData: JSONSerialization.data(withJSONObject: object))
        #expect(viewed.coarseViewTokens == 256 && viewed.architecture != config.architecture)
        let viewedText = String(decoding: viewed.jsonData(), as: UTF8.self)
        #expect(viewedText.contains("\"coarse_view_tokens\" : 256") && viewedText.contains("\"coarse_view_balance\" : 0.5"))
        #expect(try ModelConfig(jsonData: viewed.jsonData()) == viewed)
        let v1 = String(decoding: try ModelConfig(jsonData: Data(Self.sample.utf8)).jsonData(), as: UTF8.self)
        #expect(!v1.contains("level_rule") && !v1.contains("position_span"))
    }

    /// MODEL.md §9.1: the rule doubles the last level until a segment covers the longer side.
    @Test func levelRuleReachesTheWholeGrid() throws {
        var config = try ModelConfig(jsonData: Data(Self.sample.utf8))  // levels (4,1) (8,2)
        #expect(config.architecture.attentionLevels(rows: 75, columns: 20) == config.levels)
        config.levelRule = .toGrid
        #expect(config.architecture.attentionLevels(rows: 8, columns: 3) == config.levels)
        #expect(config.architecture.attentionLevels(rows: 9, columns: 1)
                == config.levels + [AttentionLevel(segment: 16, dilation: 4)])
        let levels = config.architecture.attentionLevels(rows: 20, columns: 75)
        #expect(levels.map(\.segment) == [4, 8, 16, 32, 64, 128] && levels.allSatisfy { $0.windowSide == 4 || $0.segment == 4 })
    }

    @Test func optionalKeysTakeDefaults() throws {
        var object = try JSONSerialization.jsonObject(with: Data(Self.sample.utf8)) as! [String: Any]
        for key in ["attention", "position_code", "pooling", "layer_norm_eps", "train_resolution", "default_max_tokens"] {
            object[key] = nil
        }
        let config = try ModelConfig(jsonData: JSONSerialization.data(withJSONObject: object))
        #expect(config.attention == .dilated && config.layerNormEpsilon == 1e-6)
        #expect(config.reading.trainResolution == nil && config.reading.defaultMaxTokens == 1024)
        #expect(config.patchEmbedding == .linear)
    }

    @Test func decodesAndEncodesTheHierarchicalStem() throws {
        let config = try ModelConfig(jsonData: Self.variant("patch_embedding", "\"hmlp\""))
        #expect(config.patchEmbedding == .hierarchicalMLP)
        #expect(try ModelConfig(jsonData: config.jsonData()) == config)
        #expect(String(decoding: config.jsonData(), as: UTF8.self).contains("\"patch_embedding\" : \"hmlp\""))
        #expect(try ModelConfig(jsonData: Self.variant("patch_embedding", "\"linear\"")).patchEmbedding == .linear)
    }

    @Test(arguments: [1, 2, 6, 12, 24])
    func hierarchicalStemNeedsAPowerOfTwoPatchOfAtLeastFour(patch: Int) {
        #expect(throws: ModelConfigError.invalidValue(
            key: "patch_size", reason: "must be a power of two ≥ 4 for patch_embedding \"hmlp\", found \(patch)")) {
            try ModelConfig(dimension: 32, depth: 1, heads: 4, patchSize: patch, patchEmbedding: .hierarchicalMLP,
                            levels: .pairs((2, 1)), labels: ["x"])
        }
    }

    @Test func hierarchicalStemStagesFollowThePatchSize() throws {
        let config = try ModelConfig(dimension: 32, depth: 1, heads: 4, patchSize: 16, patchEmbedding: .hierarchicalMLP,
                                     levels: .pairs((2, 1)), labels: ["x"])
        #expect(config.stemStages.map(\.inputSide) == [16, 8, 4, 2])
        #expect(config.stemStages.map(\.inputChannels) == [3, 8, 8, 8])
        #expect(config.stemStages.map(\.outputChannels) == [8, 8, 8, 32])
        #expect(config.stemStages.map(\.isLast) == [false, false, false, true])
        #expect(tinyConfig().stemStages.isEmpty)
    }

    @Test func acceptsFractionalLookingMLPRatio() throws {
        #expect(try ModelConfig(jsonData: Self.variant("mlp_ratio", "4.0")).hiddenDimension == 128)
    }

    @Test(arguments: [
        ("attention", "\"sparse\"" as String?, ModelConfigError.unsupportedValue(key: "attention", value: "sparse", supported: ["dilated", "dense"])),
        ("position_code", "\"rope\"", .unsupportedValue(key: "position_code", value: "rope",
                                                        supported: ["sincos2d", "sincos2d_normalised"])),
        ("pooling", "\"cls\"", .unsupportedValue(key: "pooling", value: "cls", supported: ["mean", "attention"])),
        ("level_rule", "\"log\"", .unsupportedValue(key: "level_rule", value: "log", supported: ["fixed", "to_grid"])),
        ("patch_embedding", "\"conv\"", .unsupportedValue(key: "patch_embedding", value: "conv", supported: ["linear", "hmlp"])),
        ("patch_embedding", "4", .wrongType(key: "patch_embedding", expected: "a string")),
        ("format", "\"dilatedvit-v9\"", .unsupportedValue(key: "format", value: "dilatedvit-v9", supported: ["dilatedvit-v1", "dilatedvit-v2"])),
        ("dim", nil, .missingKey("dim")),
        ("levels", nil, .missingKey("levels")),
        ("heads", "\"four\"", .wrongType(key: "heads", expected: "an integer")),
        ("coarse_view_tokens", "\"many\"", .wrongType(key: "coarse_view_tokens", expected: "an integer")),
    ])
    func rejectsUnknownOrMissingValues(key: String, json: String?, expected: ModelConfigError) {
        #expect(Self.error(Self.variant(key, json)) == expected)
    }

    @Test(arguments: [
        ("dim", "30", "dim"),                       // not divisible by heads = 4
        ("heads", "3", "dim"),                      // 32 % 3 ≠ 0
        ("heads", "0", "heads"),
        ("depth", "0", "depth"),
        ("patch_size", "-1", "patch_size"),
        ("mlp_ratio", "0.01", "mlp_ratio"),         // 0.32 hidden units
        ("levels", "[]", "levels"),
        ("levels", #"[{"segment":4,"dilation":2}]"#, "levels[0].dilation"),
        ("levels", #"[{"segment":4,"dilation":1},{"segment":6,"dilation":4}]"#, "levels[1].segment"),
        ("levels", #"[{"segment":0,"dilation":1}]"#, "levels[0].segment"),
        ("layer_norm_eps", "0", "layer_norm_eps"),
        ("mean", "[0.5]", "mean"),
        ("std", "[0.5, 0, 0.5]", "std"),
        ("labels", "[]", "labels"),
        ("default_max_tokens", "0", "default_max_tokens"),
        ("position_span", "0", "position_span"),
        // v2 values in a v1 file.
        ("level_rule", "\"to_grid\"", "level_rule"),
        ("position_code", "\"sincos2d_normalised\"", "position_code"),
        ("pooling", "\"attention\"", "pooling"),
        // A coarse view needs attention pooling (MODEL.md §9.4), and a budget ≥ 0.
        ("coarse_view_tokens", "256", "coarse_view_tokens"),
        ("coarse_view_tokens", "-1", "coarse_view_tokens"),
        ("coarse_view_balance", "1.5", "coarse_view_balance"),
    ])
    func invalidValuesNameTheirKey(key: String, json: String, namedKey: String) {
        guard case .invalidValue(let reported, let reason) = Self.error(Self.variant(key, json)) else {
            Issue.record("\(key) = \(json) was not rejected as an invalid value")
            return
        }
        #expect(reported == namedKey, "\(reason)")
    }

    @Test func dimensionMustSuitThePositionCode() {
        #expect(throws: ModelConfigError.invalidValue(key: "dim", reason: "(18) must be divisible by 4 for the 2D sin-cos position code")) {
            try ModelConfig(dimension: 18, depth: 1, heads: 2, patchSize: 2, levels: .pairs((2, 1)), labels: ["x"])
        }
    }

    @Test func notJSONIsReported() {
        guard case .notJSON = Self.error(Data("{".utf8)) else {
            Issue.record("a broken document must be reported as not JSON")
            return
        }
    }
}

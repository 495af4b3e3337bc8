import CKernels
import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ModelTests {
    static func grid(rows: Int, columns: Int, patchSize: Int, seed: UInt64) -> PatchGrid {
        PatchGrid(rows: rows, columns: columns, patchSize: patchSize,
                  values: randomValues(rows * columns * 3 * patchSize * patchSize, seed: seed))
    }

    // Segments 3, 4, 8 make 24-row attention bands: 29 and 50 rows span several, the last partial.
    @Test(arguments: [(1, 1), (7, 13), (1, 9), (6, 1), (9, 9), (29, 6), (50, 3)], AttentionMode.allCases)
    func logitsMatchDoublePrecisionReference(size: (Int, Int), mode: AttentionMode) {
        let config = tinyConfig(levels: .pairs((3, 1), (4, 2), (8, 4)))
        let weights = ModelWeights(randomFor: config, seed: 21)
        let model = DilatedViTModel(config: config, weights: weights)
        let grid = Self.grid(rows: size.0, columns: size.1, patchSize: config.patchSize, seed: 22)
        let expected = ModelReference.logits(config: config, tensors: weights.tensors, grid: grid, mode: mode)
        let logits = model.logits(for: grid, attention: mode)
        #expect(maxAbsDifference(logits, expected) < 1e-4)
    }

    @Test func attentionBandsAreCommonMultiplesOfTheSegments() {
        let levels: [AttentionLevel] = .pairs((4, 1), (6, 2))
        let bands = AttentionBands(mode: .dilated, levels: levels, gridRows: 30, gridColumns: 5)
        #expect(bands.rowsPerBand == 12 && bands.maxTokens == 60)
        #expect(bands.bands.map(\.rows) == [12, 12, 6] && bands.bands.map(\.firstRow) == [0, 12, 24])
        #expect(bands.bands.allSatisfy { $0.firstColumn == 0 && $0.columns == 5 })
        #expect(AttentionBands(mode: .dense, levels: levels, gridRows: 30, gridColumns: 5).bands.count == 1)
        #expect(AttentionBands(mode: .dilated, levels: levels, gridRows: 7, gridColumns: 5).rowsPerBand == 7)

        // A wide grid splits into whole 12×12 squares, two per band for a 300-token target.
        let wide = AttentionBands(mode: .dilated, levels: levels, gridRows: 13, gridColumns: 50, targetTokens: 300)
        #expect(wide.columnsPerBand == 24 && wide.maxTokens == 288)
        #expect(wide.bands.map(\.firstColumn) == [0, 24, 48, 0, 24, 48])
        #expect(wide.bands.map(\.columns) == [24, 24, 2, 24, 24, 2] && wide.bands.map(\.rows) == [12, 12, 12, 1, 1, 1])
        #expect(wide.bands.map(\.tokenCount).reduce(0, +) == 13 * 50)
        #expect(AttentionBands(mode: .dense, levels: levels, gridRows: 13, gridColumns: 50, targetTokens: 300)
            .bands.count == 1)
    }

    // Bands of whole 24×24 squares, several across a 60-column grid, give the unbanded logits
    // and those of the float64 reference.
    @Test(arguments: [(29, 60), (24, 49)])
    func narrowAttentionBandsMatchReference(size: (Int, Int)) {
        let config = tinyConfig(levels: .pairs((3, 1), (4, 2), (8, 4)))
        let weights = ModelWeights(randomFor: config, seed: 31)
        let grid = Self.grid(rows: size.0, columns: size.1, patchSize: config.patchSize, seed: 32)
        let expected = ModelReference.logits(config: config, tensors: weights.tensors, grid: grid, mode: .dilated)
        let whole = DilatedViTModel(config: config, weights: weights, attentionBandTokens: 1 << 20)
        for bandTokens in [1, 1200] {
            let banded = DilatedViTModel(config: config, weights: weights, attentionBandTokens: bandTokens)
            #expect(maxAbsDifference(banded.logits(for: grid), expected) < 1e-4, "band tokens \(bandTokens)")
            #expect(maxAbsDifference(banded.features(for: grid), whole.features(for: grid)) < 1e-5)
        }
    }

    @Test(arguments: [(4, 1, 1), (8, 3, 5), (16, 2, 3)])
    func hierarchicalStemMatchesDoublePrecisionReference(patch: Int, rows: Int, columns: Int) {
        let config = tinyConfig(dimension: 24, heads: 3, patchSize: patch, patchEmbedding: .hierarchicalMLP)
        let weights = ModelWeights(randomFor: config, seed: 35)
        let model = DilatedViTModel(config: config, weights: weights)
        let grid = Self.grid(rows: rows, columns: columns, patchSize: patch, seed: 36)
        let expected = ModelReference.logits(config: config, tensors: weights.tensors, grid: grid, mode: .dilated)
        #expect(maxAbsDifference(model.logits(for: grid), expected) < 1e-4)
    }

    @Test(arguments: PatchEmbedding.allCases)
    func tokenBlockedMLPAndStemEqualUnblocked(_ embedding: PatchEmbedding) {
        let config = tinyConfig(patchSize: embedding == .linear ? 2 : 4, patchEmbedding: embedding)
        let weights = ModelWeights(randomFor: config, seed: 23)
        let grid = Self.grid(rows: 7, columns: 13, patchSize: config.patchSize, seed: 24)
        let whole = DilatedViTModel(config: config, weights: weights, tokenBlockLength: 4096)
        for blockLength in [1, 5, 16, 90] {
            let blocked = DilatedViTModel(config: config, weights: weights, tokenBlockLength: blockLength)
            #expect(maxAbsDifference(blocked.features(for: grid), whole.features(for: grid)) < 1e-6,
                    "block length \(blockLength)")
        }
    }

    @Test func dilatedEqualsDenseWithOneLevelCoveringTheGrid() {
        let config = tinyConfig(levels: .pairs((16, 1)))
        let model = DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 25))
        let grid = Self.grid(rows: 11, columns: 16, patchSize: config.patchSize, seed: 26)
        #expect(maxAbsDifference(model.logits(for: grid, attention: .dilated),
                                 model.logits(for: grid, attention: .dense)) < 1e-5)
    }

    @Test func probabilitiesAreTheSoftmaxOfLogits() {
        let config = tinyConfig()
        let model = DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 27))
        let grid = Self.grid(rows: 3, columns: 4, patchSize: config.patchSize, seed: 28)
        let probabilities = model.probabilities(for: grid)
        #expect(probabilities.count == 3 && abs(probabilities.reduce(0, +) - 1) < 1e-6)
        #expect(maxAbsDifference(probabilities, softmax(model.logits(for: grid))) == 0)
        #expect(model.logits(forFeatures: model.features(for: grid)) == model.logits(for: grid))
    }

    @Test func defaultModeComesFromConfig() throws {
        var config = tinyConfig()
        config.attention = .dense
        let model = DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 29))
        let grid = Self.grid(rows: 5, columns: 6, patchSize: config.patchSize, seed: 30)
        #expect(model.logits(for: grid) == model.logits(for: grid, attention: .dense))
        #expect(model.logits(for: grid) != model.logits(for: grid, attention: .dilated))
    }

    @Test func concurrentCallsShareOneModel() async {
        let config = tinyConfig()
        let model = DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 33))
        let grids = (0..<6).map { Self.grid(rows: 5 + $0, columns: 9, patchSize: config.patchSize, seed: 34 + UInt64($0)) }
        let serial = grids.map { model.logits(for: $0) }
        let concurrent = await withTaskGroup(of: (Int, [Float]).self) { group in
            for (i, grid) in grids.enumerated() { group.addTask { (i, model.logits(for: grid)) } }
            var results = [[Float]](repeating: [], count: grids.count)
            for await (i, logits) in group { results[i] = logits }
            return results
        }
        #expect(concurrent == serial)
    }

    @Test func savesAndLoadsFromADirectory() throws {
        let config = tinyConfig()
        let weights = ModelWeights(randomFor: config, seed: 31)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try config.jsonData().write(to: directory.appendingPathComponent("config.json"))
        try SafeTensors(tensors: weights.tensors).write(to: directory.appendingPathComponent("model.safetensors"))
        let loaded = try DilatedViTModel(contentsOf: directory)
        let grid = Self.grid(rows: 4, columns: 5, patchSize: config.patchSize, seed: 32)
        #expect(loaded.logits(for: grid) == DilatedViTModel(config: config, weights: weights).logits(for: grid))
    }

    @Test(arguments: AttentionMode.allCases)
    func bfloat16ModelStaysCloseToFloat32(mode: AttentionMode) {
        let config = tinyConfig()
        let weights = ModelWeights(randomFor: config, seed: 35)
        let fp32 = DilatedViTModel(config: config, weights: weights)
        let bf16 = DilatedViTModel(config: config, weights: weights, precision: .bfloat16)
        let grid = Self.grid(rows: 9, columns: 11, patchSize: config.patchSize, seed: 36)
        let exact = fp32.logits(for: grid, attention: mode), rounded = bf16.logits(for: grid, attention: mode)
        #expect(maxAbsDifference(rounded, exact) < 5e-3)  // measured 5e-4
        #expect(rounded != exact, "the bf16 model should not run in fp32")
        #expect(fp32.precision == .float32 && bf16.precision == .bfloat16)
        // Packing keeps only the bf16 weights: they read back rounded (the head and the norms
        // stay fp32), and a model built from them computes in fp32 again.
        let packed = bf16.weights.tensors
        for (name, tensor) in weights.tensors {
            let isPacked = name.hasSuffix(".weight") && !name.hasPrefix("head") && !name.contains("norm")
            #expect(packed[name]!.values == (isPacked ? tensor.values.map(ck_bf16_round) : tensor.values), "\(name)")
        }
        let reloaded = DilatedViTModel(config: config, weights: bf16.weights)
        #expect(reloaded.precision == .float32 && reloaded.weights.tensors == packed)
        #expect(maxAbsDifference(reloaded.logits(for: grid, attention: mode), rounded) < 5e-3)
    }
}

@Suite struct ModelWeightsTests {
    static let config = tinyConfig()
    static var tensors: [String: Tensor] { ModelWeights(randomFor: config, seed: 40).tensors }

    static func error(_ tensors: [String: Tensor]) -> ModelWeightsError? {
        do {
            _ = try ModelWeights(tensors: tensors, config: config)
            return nil
        } catch {
            return error
        }
    }

    @Test func exportsEveryExpectedTensor() {
        let expected = ModelWeights.expectedShapes(for: Self.config)
        #expect(Self.tensors.mapValues(\.shape) == expected)
        #expect(expected["patch_embed.proj.weight"] == [32, 3, 2, 2])
        #expect(expected["blocks.1.mlp.fc1.weight"] == [128, 32])
        #expect(expected["head.weight"] == [3, 32])
    }

    @Test func rejectsMissingTensor() {
        var tensors = Self.tensors
        tensors["blocks.1.attn.proj.bias"] = nil
        let error = Self.error(tensors)
        #expect(error == .missingTensor(name: "blocks.1.attn.proj.bias", expectedShape: [32]))
        #expect(error!.description.contains("missing tensor 'blocks.1.attn.proj.bias'"))
    }

    @Test func rejectsUnexpectedTensor() {
        var tensors = Self.tensors
        tensors["blocks.2.norm1.weight"] = Tensor(shape: [32], values: Array(repeating: 1, count: 32))
        let error = Self.error(tensors)
        #expect(error == .unexpectedTensor(name: "blocks.2.norm1.weight", shape: [32]))
        #expect(error!.description.contains("unexpected tensor 'blocks.2.norm1.weight'"))
    }

    @Test func rejectsWrongShape() {
        var tensors = Self.tensors
        tensors["blocks.0.attn.qkv.weight"] = Tensor(shape: [32, 96], values: Array(repeating: 0, count: 96 * 32))
        let error = Self.error(tensors)
        #expect(error == .wrongShape(name: "blocks.0.attn.qkv.weight", expected: [96, 32], found: [32, 96]))
        #expect(error!.description.contains("'blocks.0.attn.qkv.weight' has shape [32, 96], expected [96, 32]"))
    }

    @Test func hierarchicalStemReplacesThePatchEmbedding() throws {
        let config = tinyConfig(patchSize: 8, patchEmbedding: .hierarchicalMLP)
        let expected = ModelWeights.expectedShapes(for: config)
        #expect(expected["patch_embed.proj.weight"] == nil && expected["patch_embed.proj.bias"] == nil)
        #expect(expected["stem.0.weight"] == [8, 3, 2, 2] && expected["stem.0.bias"] == [8])
        #expect(expected["stem.1.weight"] == [8, 8, 2, 2] && expected["stem.1.norm.weight"] == [8])
        #expect(expected["stem.2.weight"] == [32, 8, 2, 2] && expected["stem.2.bias"] == [32])
        #expect(expected["stem.2.norm.weight"] == nil && expected["stem.3.weight"] == nil)
        #expect(expected.count == 4 + 10 + 12 * config.depth)
        let tensors = ModelWeights(randomFor: config, seed: 41).tensors
        #expect(tensors.mapValues(\.shape) == expected)
        #expect(try ModelWeights(tensors: tensors, config: config).tensors == tensors)
        // Weights of a linear-embedding model do not load into a stem model.
        var linear = config
        linear.patchEmbedding = .linear
        #expect(throws: ModelWeightsError.missingTensor(name: "stem.0.bias", expectedShape: [8])) {
            try ModelWeights(tensors: ModelWeights(randomFor: linear, seed: 42).tensors, config: config)
        }
    }

    @Test func reportsFileErrors() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([1, 0, 0]).write(to: url)
        #expect(throws: ModelWeightsError.file(.missingHeaderLength(fileSize: 3))) {
            try ModelWeights(contentsOf: url, config: Self.config)
        }
    }

    @Test func loadsBFloat16Checkpoints() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors(tensors: Self.tensors).write(to: url, as: .bfloat16)
        let loaded = try ModelWeights(contentsOf: url, config: Self.config)
        let original = Self.tensors
        for (name, tensor) in loaded.tensors {
            #expect(maxAbsDifference(tensor.values, original[name]!.values) <= 1.0 / 128, "\(name)")
        }
    }
}

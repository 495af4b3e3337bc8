import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Limits that keep hostile model files from trapping or allocating without bound, each
/// enforced before the allocation it guards.
@Suite struct ResourceLimitTests {
    static let config = tinyConfig()

    /// An 8-byte length prefix claiming `headerLength`, then `actual` bytes of header.
    static func safetensors(headerLength: UInt64, actual: Int) -> Data {
        var data = Data()
        withUnsafeBytes(of: headerLength.littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(repeating: 0x20, count: actual))
        return data
    }

    @Test func headerOverTheLimitIsRefusedUnparsed() throws {
        let limit = SafeTensors.maxHeaderLength
        // A sparse file (no disk, and mapped, so no memory): 8-byte length, then a header
        // of NUL bytes that only the limit can refuse without reading it.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("header-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.safetensors(headerLength: UInt64(limit + 1), actual: 0).write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(8 + limit + 1))
        try handle.close()
        #expect(throws: SafeTensorsError.headerTooLarge(headerLength: limit + 1, limit: limit)) {
            try SafeTensors(contentsOf: url)
        }
        #expect(SafeTensorsError.headerTooLarge(headerLength: limit + 1, limit: limit).description
            == "safetensors: header of 100000001 bytes exceeds the limit of 100000000 bytes")
        // A length beyond the file is still reported as such, whatever its size.
        #expect(throws: SafeTensorsError.headerLengthBeyondFile(headerLength: .max, fileSize: 10)) {
            try SafeTensors(data: Self.safetensors(headerLength: .max, actual: 2))
        }
    }

    @Test func weightsFileLargerThanTheConfigAllowsIsRefusedBeforeParsing() throws {
        let f32 = ModelWeights.expectedByteCount(for: Self.config, dtype: .float32)
        #expect(f32 == ModelWeights.expectedShapes(for: Self.config).values.reduce(0) { $0 + $1.reduce(1, *) } * 4)
        #expect(ModelWeights.expectedByteCount(for: Self.config, dtype: .bfloat16) * 2 == f32)
        let limit = ModelWeights.maxFileSize(for: Self.config)
        #expect(limit == 8 + SafeTensors.maxHeaderLength + f32)

        // Just over the limit: refused by size (a real file would be parsed for ~100 MB).
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(limit + 1))  // sparse: no disk, no memory
        try handle.close()
        #expect(throws: ModelWeightsError.fileTooLarge(bytes: limit + 1, limit: limit)) {
            try ModelWeights(contentsOf: url, config: Self.config)
        }

        // Real weights, F32 and BF16, load through the same path.
        let weights = ModelWeights(randomFor: Self.config, seed: 3)
        for dtype in [TensorDType.float32, .bfloat16] {
            let data = SafeTensors(tensors: weights.tensors).encoded(as: dtype)
            #expect(data.count <= limit)
            #expect(try ModelWeights(safeTensorsData: data, config: Self.config).tensors.count == weights.tensors.count)
        }
    }

    /// Values the fuzzer (or a hostile config.json) can write that once made the derived
    /// sizes trap (`Int(mlp_ratio × dim)`, `3·dim`) or enumerate absurd tensor lists.
    @Test(arguments: [
        ("mlp_ratio", "1e300", "mlp_ratio"),
        ("mlp_ratio", "1e15", "mlp_ratio"),
        ("dim", "4611686018427387904", "dim"),   // 2^62: 3·dim overflowed
        ("depth", "1000000000000", "depth"),
        ("patch_size", "3037000500", "patch_size"),   // 3·p² overflowed
        ("levels", #"[{"segment":4611686018427387904,"dilation":1}]"#, "levels[0].segment"),
        ("default_max_tokens", "9223372036854775807", "default_max_tokens"),
    ])
    func absurdConfigValuesAreInvalid(key: String, json: String, namedKey: String) {
        let variant = ModelConfigTests.variant(key, json)
        do {
            let config = try ModelConfig(jsonData: variant)
            Issue.record("\(key) = \(json) accepted: \(config)")
        } catch {
            guard case .invalidValue(let reported, _) = error else {
                Issue.record("\(key) = \(json): \(error)")
                return
            }
            #expect(reported == namedKey)
        }
    }

    @Test func largestAllowedConfigStillComputesItsSizes() throws {
        let config = try ModelConfig(dimension: ModelArchitecture.maxDimension, depth: ModelArchitecture.maxDepth, heads: 1,
                                     patchSize: ModelArchitecture.maxPatchSize,
                                     mlpRatio: Double(ModelArchitecture.maxHiddenDimension / ModelArchitecture.maxDimension),
                                     levels: [.init(segment: ModelArchitecture.maxSegment, dilation: 1)], labels: ["x"])
        #expect(ModelWeights.expectedShapes(for: config).count == 6 + 12 * ModelArchitecture.maxDepth)
        #expect(ModelWeights.expectedByteCount(for: config, dtype: .float32) < 1 << 50)
    }
}

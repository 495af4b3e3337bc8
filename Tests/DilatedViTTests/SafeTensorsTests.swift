import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct SafeTensorsTests {
    static let sample = SafeTensors(
        tensors: ["a.weight": Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-3, -7]),
                  "b": Tensor(shape: [4], values: [0.1, 0.2, 0.3, 0.4]),
                  "scalar": Tensor(shape: [], values: [42])],
        metadata: ["format": "pt"])

    /// A file from a literal header and raw data bytes.
    static func file(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        return bytes
    }

    static func parse(_ data: Data) -> SafeTensorsError? {
        do {
            _ = try SafeTensors(data: data)
            return nil
        } catch {
            return error
        }
    }

    @Test func float32RoundTripIsExact() throws {
        let data = Self.sample.encoded(as: .float32)
        let read = try SafeTensors(data: data)
        #expect(read.tensors == Self.sample.tensors)
        #expect(read.metadata == ["format": "pt"])
        #expect(read.storedTypes["b"] == .float32)
        // Header padded to 8 bytes so the data section is aligned.
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    @Test func bfloat16RoundTripRoundsToNearest() throws {
        let data = Self.sample.encoded(as: .bfloat16)
        let read = try SafeTensors(data: data)
        #expect(read.storedTypes["a.weight"] == .bfloat16)
        for (name, tensor) in Self.sample.tensors {
            let got = read.tensors[name]!
            #expect(got.shape == tensor.shape)
            for (a, b) in zip(got.values, tensor.values) {
                #expect(abs(a - b) <= abs(b) * 1.0 / 256, "\(name): \(a) vs \(b)")
            }
        }
        // 1 + 2⁻⁸ is a tie between 1 and 1 + 2⁻⁷: round to even (1).
        #expect(bfloat16Bits(1 + 1.0 / 256) == 0x3F80)
        #expect(bfloat16Bits(1 + 3.0 / 256) == 0x3F82)
        #expect(Float(bitPattern: UInt32(bfloat16Bits(.nan)) << 16).isNaN)
    }

    @Test func float16IsConvertedOnLoad() throws {
        let read = try SafeTensors(data: Self.sample.encoded(as: .float16))
        #expect(read.storedTypes["b"] == .float16)
        #expect(read.tensors["a.weight"]!.values == [1, -2, 3.5, 0, Float(Float16(1e-3)), -7])
    }

    @Test func writesAtomicallyToDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.sample.write(to: url)
        #expect(try SafeTensors(contentsOf: url).tensors == Self.sample.tensors)
    }

    @Test func readingAFileReleasesPagesWithoutLosingValues() throws {
        // Tensors spanning many pages, so each one's interior pages are dropped after its
        // conversion: the values must still be exactly the written ones.
        var generator = SplitMix64(seed: 9)
        let big = SafeTensors(tensors: (0..<4).reduce(into: [:]) { tensors, i in
            tensors["t\(i)"] = Tensor(shape: [3001 + i], values: (0..<3001 + i).map { _ in generator.nextSigned() })
        })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try big.write(to: url)
        #expect(try SafeTensors(contentsOf: url).tensors == big.tensors)
        #expect(try SafeTensors(data: Data(contentsOf: url)).tensors == big.tensors)
    }

    @Test func aDirectoryIsAReadError() {
        #expect {
            _ = try SafeTensors(contentsOf: FileManager.default.temporaryDirectory)
        } throws: { error in
            (error as? SafeTensorsError).map { "\($0)".contains("Is a directory") } == true
        }
    }

    @Test func acceptsAValidHandWrittenFileWithMetadata() throws {
        let header = #"{"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let read = try SafeTensors(data: Self.file(header: header, data: [0, 0, 0x80, 0x3F]))
        #expect(read["x"]?.values == [1])
        #expect(read.metadata == ["k": "v"])
    }

    @Test func rejectsFileShorterThanHeaderLength() {
        #expect(Self.parse(Data([1, 2, 3])) == .missingHeaderLength(fileSize: 3))
    }

    @Test func rejectsTruncatedData() {
        let full = Self.sample.encoded()
        let cut = full.prefix(full.count - 5)
        let error = Self.parse(Data(cut))
        guard case .truncated(let declared, let available) = error else {
            Issue.record("expected .truncated, got \(String(describing: error))")
            return
        }
        #expect(declared == available + 5)
        #expect(error!.description.contains("truncated"))
    }

    @Test func rejectsHeaderLengthBeyondFile() {
        let data = Self.file(header: "{}", data: [], declaredLength: 1000)
        #expect(Self.parse(data) == .headerLengthBeyondFile(headerLength: 1000, fileSize: 10))
        #expect(Self.parse(data)!.description.contains("beyond the end"))
    }

    @Test func rejectsNonJSONHeader() {
        let error = Self.parse(Self.file(header: "{not json", data: []))
        guard case .headerNotJSON = error else {
            Issue.record("expected .headerNotJSON, got \(String(describing: error))")
            return
        }
        guard case .headerNotJSON = Self.parse(Self.file(header: "[1, 2]", data: [])) else {
            Issue.record("a JSON array header must be rejected")
            return
        }
    }

    @Test func rejectsOverlappingOffsets() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let error = Self.parse(Self.file(header: header, data: Array(repeating: 0, count: 12)))
        #expect(error == .overlappingOffsets(tensor: "b", other: "a"))
        #expect(error!.description.contains("'b' overlaps tensor 'a'"))
    }

    @Test func rejectsOffsetsOutOfRange() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[100,104]}}"#
        let error = Self.parse(Self.file(header: header, data: Array(repeating: 0, count: 8)))
        #expect(error == .offsetsOutOfRange(tensor: "b", begin: 100, end: 104, dataBytes: 8))
        #expect(error!.description.contains("'b'"))
    }

    @Test func rejectsDecreasingOffsets() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#
        #expect(Self.parse(Self.file(header: header, data: [0, 0, 0, 0])) == .invalidOffsets(tensor: "a", begin: 4, end: 0))
    }

    @Test func rejectsGapsAndTrailingBytes() {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        #expect(Self.parse(Self.file(header: gap, data: Array(repeating: 0, count: 12)))
                == .uncoveredBytes(begin: 4, end: 8, before: "b"))
        let trailing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(Self.parse(Self.file(header: trailing, data: Array(repeating: 0, count: 6)))
                == .uncoveredBytes(begin: 4, end: 6, before: nil))
    }

    @Test func rejectsUnknownDType() {
        let header = #"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#
        let error = Self.parse(Self.file(header: header, data: Array(repeating: 0, count: 8)))
        #expect(error == .unsupportedDType(tensor: "a", dtype: "I64"))
        #expect(error!.description.contains("'a' has dtype I64"))
    }

    @Test func rejectsShapeThatDisagreesWithByteRange() {
        let header = #"{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}}"#
        let error = Self.parse(Self.file(header: header, data: Array(repeating: 0, count: 8)))
        #expect(error == .byteCountMismatch(tensor: "w", shape: [2, 3], dtype: "BF16", expected: 12, found: 8))
    }

    @Test func rejectsMalformedEntries() {
        let header = #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#
        guard case .malformedEntry(tensor: "w", _) = Self.parse(Self.file(header: header, data: [0, 0, 0, 0])) else {
            Issue.record("fractional shape must be rejected naming the tensor")
            return
        }
        let noOffsets = #"{"w":{"dtype":"F32","shape":[1]}}"#
        guard case .malformedEntry(tensor: "w", _) = Self.parse(Self.file(header: noOffsets, data: [])) else {
            Issue.record("missing data_offsets must be rejected naming the tensor")
            return
        }
    }
}

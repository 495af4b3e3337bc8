import Foundation

/// The parameters of a DilatedViT model, validated against its config: one flat arena of
/// floats in `ParameterLayout` order (llm.c's parameter memory), whose tensors carry the
/// PyTorch names of `ModelParameters`. Inference builds its layers on the arena without
/// copying it, and training updates the arena in place.
public struct ModelWeights: Sendable {
    package let layout: ParameterLayout
    /// Every parameter, flat in `layout` order.
    public internal(set) var values: [Float]

    /// An arena already in `layout` order.
    package init(layout: ParameterLayout, values: [Float]) {
        precondition(values.count == layout.count, "ModelWeights: \(values.count) values for \(layout.count) parameters")
        self.layout = layout
        self.values = values
    }

    /// Every tensor name the config calls for, with its shape.
    public static func expectedShapes(for config: ModelConfig) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: ParameterLayout(config: config).entries.map { ($0.name, $0.shape) })
    }

    /// Checks names and shapes against `config`: the first problem in name order is thrown,
    /// missing tensors before unexpected ones before wrong shapes.
    package init(tensors: [String: Tensor], config: ModelConfig) throws(ModelWeightsError) {
        let layout = try Self.checkedLayout(shapes: tensors.mapValues(\.shape), config: config)
        var values = [Float](repeating: 0, count: layout.count)
        for entry in layout.entries { values.replaceSubrange(entry.range, with: tensors[entry.name]!.values) }
        self.init(layout: layout, values: values)
    }

    /// The layout of `config`, once `shapes` (a file's tensors) match it exactly.
    private static func checkedLayout(shapes: [String: [Int]], config: ModelConfig) throws(ModelWeightsError)
        -> ParameterLayout
    {
        let layout = ParameterLayout(config: config)
        for entry in layout.entries where shapes[entry.name] == nil {
            throw .missingTensor(name: entry.name, expectedShape: entry.shape)
        }
        for name in shapes.keys.sorted() where layout[name] == nil {
            throw .unexpectedTensor(name: name, shape: shapes[name]!)
        }
        for entry in layout.entries where shapes[entry.name]! != entry.shape {
            throw .wrongShape(name: entry.name, expected: entry.shape, found: shapes[entry.name]!)
        }
        return layout
    }

    /// Converts the tensors of a safetensors file (`bytes`) straight into the arena, so
    /// loading holds the arena and the file, never a second copy of the weights;
    /// `converted(range)` may release each tensor's bytes once read.
    private init(safeTensors bytes: UnsafeRawBufferPointer, config: ModelConfig,
                 converted: (Range<Int>) -> Void) throws(ModelWeightsError) {
        let header: SafeTensors.Header
        do { header = try SafeTensors.header(of: bytes) } catch { throw .file(error) }
        let layout = try Self.checkedLayout(shapes: header.shapes, config: config)
        let values = [Float](unsafeUninitializedCapacity: layout.count) { arena, initialised in
            for entry in layout.entries {
                converted(header.convert(entry.name, of: bytes, into: arena.baseAddress! + entry.offset))
            }
            initialised = layout.count
        }
        self.init(layout: layout, values: values)
    }

    /// Bytes the tensors of `config` occupy when every one is stored as `dtype`. Cannot
    /// overflow for a validated config (its limits keep it below 2⁵⁰).
    package static func expectedByteCount(for config: ModelConfig, dtype: TensorDType) -> Int {
        expectedShapes(for: config).values.reduce(0) { $0 + $1.reduce(1, *) } * dtype.byteCount
    }

    /// The largest safetensors file that can hold `config`'s weights: the header limit plus
    /// every tensor in F32. Anything bigger is refused before it is parsed.
    public static func maxFileSize(for config: ModelConfig) -> Int {
        8 + SafeTensors.maxHeaderLength + expectedByteCount(for: config, dtype: .float32)
    }

    /// Loads a safetensors file (F32, F16 or BF16) and validates it against `config`.
    /// The file is memory-mapped, so its size is checked before anything is allocated.
    public init(contentsOf url: URL, config: ModelConfig) throws(ModelWeightsError) {
        let mapped: MappedFile
        do { mapped = try SafeTensors.map(url) } catch { throw .file(error) }
        let limit = Self.maxFileSize(for: config)
        guard mapped.bytes.count <= limit else { throw .fileTooLarge(bytes: mapped.bytes.count, limit: limit) }
        try self.init(safeTensors: mapped.bytes, config: config) { mapped.release($0) }
    }

    /// Parses safetensors bytes and validates them against `config`. A file too large for
    /// the config is `fileTooLarge`; one too small fails with the parser's precise reason
    /// (truncated, missing tensor...), which costs nothing since its header fits in it.
    public init(safeTensorsData data: Data, config: ModelConfig) throws(ModelWeightsError) {
        let limit = Self.maxFileSize(for: config)
        guard data.count <= limit else { throw .fileTooLarge(bytes: data.count, limit: limit) }
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(ModelWeightsError) in try ModelWeights(safeTensors: bytes, config: config) { _ in } }
        }
        self = try result.get()
    }

    /// All parameters under their PyTorch names, ready for `SafeTensors(tensors:)`.
    package var tensors: [String: Tensor] { layout.tensors(from: values) }
}

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
        let layout = ParameterLayout(config: config)
        for entry in layout.entries where tensors[entry.name] == nil {
            throw .missingTensor(name: entry.name, expectedShape: entry.shape)
        }
        for name in tensors.keys.sorted() where layout[name] == nil {
            throw .unexpectedTensor(name: name, shape: tensors[name]!.shape)
        }
        for entry in layout.entries where tensors[entry.name]!.shape != entry.shape {
            throw .wrongShape(name: entry.name, expected: entry.shape, found: tensors[entry.name]!.shape)
        }
        // Names and shapes were checked just above, so flattening cannot fail.
        self.init(layout: layout, values: try! layout.flatten(tensors).get())
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
        let file: SafeTensors
        do { file = try SafeTensors(mapped: mapped) } catch { throw .file(error) }
        try self.init(tensors: file.tensors, config: config)
    }

    /// Parses safetensors bytes and validates them against `config`. A file too large for
    /// the config is `fileTooLarge`; one too small fails with the parser's precise reason
    /// (truncated, missing tensor...), which costs nothing since its header fits in it.
    public init(safeTensorsData data: Data, config: ModelConfig) throws(ModelWeightsError) {
        let limit = Self.maxFileSize(for: config)
        guard data.count <= limit else { throw .fileTooLarge(bytes: data.count, limit: limit) }
        let file: SafeTensors
        do {
            file = try SafeTensors(data: data)
        } catch {
            throw .file(error)
        }
        try self.init(tensors: file.tensors, config: config)
    }

    /// All parameters under their PyTorch names, ready for `SafeTensors(tensors:)`.
    package var tensors: [String: Tensor] { layout.tensors(from: values) }
}

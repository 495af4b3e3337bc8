import Foundation

/// The parameters of a DilatedViT model, validated against its config.
///
/// Tensor names and layouts follow the equivalent PyTorch modules (`patch_embed.proj` or
/// `stem.{s}`, `blocks.{i}.attn.qkv`, …, `head`), so `tensors` round-trips through
/// safetensors and PyTorch's `load_state_dict`. Linear weights are `(out, in)`.
public struct ModelWeights: Sendable {
    struct Norm: Sendable {
        let weight: [Float]
        let bias: [Float]
    }

    struct Block: Sendable {
        let norm1: Norm
        let qkv: Linear
        let projection: Linear
        let norm2: Norm
        let fc1: Linear
        let fc2: Linear
    }

    /// How patches become tokens (`ModelConfig.patchEmbedding`).
    enum Embedding: Sendable {
        /// `(D, 3·p·p)`: the Conv2d kernel flattened in `(channel, y, x)` order.
        case linear(Linear)
        case hierarchicalMLP(HierarchicalStem)
    }

    // `var` (not `let`) so that `prepare(for:)` can swap in layers packed for BF16.
    var embedding: Embedding
    let patchSize: Int
    var blocks: [Block]
    let norm: Norm
    let head: Linear

    /// Every tensor name the config calls for, with its shape.
    public static func expectedShapes(for config: ModelConfig) -> [String: [Int]] {
        let d = config.dimension, p = config.patchSize, hidden = config.hiddenDimension
        var shapes: [String: [Int]] = [
            "norm.weight": [d], "norm.bias": [d],
            "head.weight": [config.classCount, d], "head.bias": [config.classCount],
        ]
        switch config.patchEmbedding {
        case .linear:
            shapes["patch_embed.proj.weight"] = [d, 3, p, p]
            shapes["patch_embed.proj.bias"] = [d]
        case .hierarchicalMLP:
            for stage in config.stemStages {
                shapes[stage.weightName] = stage.weightShape
                shapes[stage.biasName] = [stage.outputChannels]
                if let norm = stage.normName {
                    shapes[norm + ".weight"] = [stage.outputChannels]
                    shapes[norm + ".bias"] = [stage.outputChannels]
                }
            }
        }
        for i in 0..<config.depth {
            let prefix = "blocks.\(i)."
            shapes[prefix + "norm1.weight"] = [d]
            shapes[prefix + "norm1.bias"] = [d]
            shapes[prefix + "attn.qkv.weight"] = [3 * d, d]
            shapes[prefix + "attn.qkv.bias"] = [3 * d]
            shapes[prefix + "attn.proj.weight"] = [d, d]
            shapes[prefix + "attn.proj.bias"] = [d]
            shapes[prefix + "norm2.weight"] = [d]
            shapes[prefix + "norm2.bias"] = [d]
            shapes[prefix + "mlp.fc1.weight"] = [hidden, d]
            shapes[prefix + "mlp.fc1.bias"] = [hidden]
            shapes[prefix + "mlp.fc2.weight"] = [d, hidden]
            shapes[prefix + "mlp.fc2.bias"] = [d]
        }
        return shapes
    }

    /// Checks names and shapes against `config`: the first problem in name order is thrown,
    /// missing tensors before unexpected ones before wrong shapes.
    public init(tensors: [String: Tensor], config: ModelConfig) throws(ModelWeightsError) {
        let expected = Self.expectedShapes(for: config)
        for name in expected.keys.sorted() where tensors[name] == nil {
            throw .missingTensor(name: name, expectedShape: expected[name]!)
        }
        for name in tensors.keys.sorted() where expected[name] == nil {
            throw .unexpectedTensor(name: name, shape: tensors[name]!.shape)
        }
        for name in expected.keys.sorted() where tensors[name]!.shape != expected[name]! {
            throw .wrongShape(name: name, expected: expected[name]!, found: tensors[name]!.shape)
        }

        func vector(_ name: String) -> [Float] { tensors[name]!.values }
        func linear(_ name: String) -> Linear {
            let weight = tensors[name + ".weight"]!
            let rows = weight.shape[0]
            let matrix = Matrix(rows: rows, columns: weight.elementCount / max(rows, 1), values: weight.values)
            return Linear(weight: matrix, bias: vector(name + ".bias"))
        }
        func normWeights(_ name: String) -> Norm { Norm(weight: vector(name + ".weight"), bias: vector(name + ".bias")) }

        switch config.patchEmbedding {
        case .linear:
            embedding = .linear(linear("patch_embed.proj"))
        case .hierarchicalMLP:
            embedding = .hierarchicalMLP(HierarchicalStem(layers: config.stemStages.map { stage in
                HierarchicalStem.Layer(stage: stage, linear: linear("stem.\(stage.index)"),
                                       norm: stage.normName.map(normWeights))
            }))
        }
        patchSize = config.patchSize
        blocks = (0..<config.depth).map { i in
            let prefix = "blocks.\(i)."
            return Block(norm1: normWeights(prefix + "norm1"), qkv: linear(prefix + "attn.qkv"),
                         projection: linear(prefix + "attn.proj"), norm2: normWeights(prefix + "norm2"),
                         fc1: linear(prefix + "mlp.fc1"), fc2: linear(prefix + "mlp.fc2"))
        }
        norm = normWeights("norm")
        head = linear("head")
    }

    /// Bytes the tensors of `config` occupy when every one is stored as `dtype`. Cannot
    /// overflow for a validated config (its limits keep it below 2⁵⁰).
    public static func expectedByteCount(for config: ModelConfig, dtype: TensorDType) -> Int {
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
    public var tensors: [String: Tensor] {
        var result: [String: Tensor] = [:]
        func add(_ name: String, _ linear: Linear, shape: [Int]? = nil) {
            result[name + ".weight"] = Tensor(shape: shape ?? [linear.outputs, linear.inputs],
                                              values: linear.weight.values)
            result[name + ".bias"] = Tensor(shape: [linear.outputs], values: linear.bias)
        }
        func add(_ name: String, _ norm: Norm) {
            result[name + ".weight"] = Tensor(shape: [norm.weight.count], values: norm.weight)
            result[name + ".bias"] = Tensor(shape: [norm.bias.count], values: norm.bias)
        }
        switch embedding {
        case .linear(let patchEmbedding):
            add("patch_embed.proj", patchEmbedding, shape: [patchEmbedding.outputs, 3, patchSize, patchSize])
        case .hierarchicalMLP(let stem):
            for layer in stem.layers {
                add("stem.\(layer.stage.index)", layer.linear, shape: layer.stage.weightShape)
                if let name = layer.stage.normName, let norm = layer.norm { add(name, norm) }
            }
        }
        for (i, block) in blocks.enumerated() {
            let prefix = "blocks.\(i)."
            add(prefix + "norm1", block.norm1)
            add(prefix + "attn.qkv", block.qkv)
            add(prefix + "attn.proj", block.projection)
            add(prefix + "norm2", block.norm2)
            add(prefix + "mlp.fc1", block.fc1)
            add(prefix + "mlp.fc2", block.fc2)
        }
        add("norm", norm)
        add("head", head)
        return result
    }
}

/// Where each named parameter lives in one flat `Float` array, the parameter arena.
///
/// `ModelWeights` holds the parameters as such an arena, and training keeps its gradients
/// and the optimizer's moments in the same layout (tensors in name order, each row-major),
/// so the optimizer is one pass over contiguous memory and saving or loading is a split by
/// name. Names and shapes come from the architecture's one table, `ModelParameters`.
package struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        /// First element in the flat array.
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
        /// AdamW weight decay applies to matrices (Linear and patch-embedding weights) only:
        /// never to biases or LayerNorm parameters (the position code has none).
        public var isDecayed: Bool { shape.count >= 2 }
    }

    public let entries: [Entry]
    /// Total number of scalars.
    public let count: Int
    private let indexByName: [String: Int]

    public init(config: ModelConfig) {
        var shapes: [(name: String, shape: [Int])] = []
        _ = ModelParameters<Void, Void>(
            config: config,
            norm: { name, width in shapes += [(name + ".weight", [width]), (name + ".bias", [width])] },
            linear: { name, shape in shapes += [(name + ".weight", shape), (name + ".bias", [shape[0]])] })
        var offset = 0
        var entries: [Entry] = []
        for (name, shape) in shapes.sorted(by: { $0.name < $1.name }) {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.entries = entries
        count = offset
        indexByName = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    public subscript(name: String) -> Entry? { indexByName[name].map { entries[$0] } }

    /// The offset of `name`, which must exist (internal callers ask for the names they built).
    func offset(of name: String) -> Int {
        guard let entry = self[name] else { preconditionFailure("ParameterLayout: no tensor \(name)") }
        return entry.offset
    }

    /// Where each layer's tensors start: the view of the arena the training passes walk.
    package func layerOffsets(config: ModelConfig) -> ArenaOffsets {
        ModelParameters(
            config: config,
            norm: { name, width in
                LayerOffsets(weight: offset(of: name + ".weight"), bias: offset(of: name + ".bias"),
                             outputs: width, inputs: width)
            },
            linear: { name, shape in
                LayerOffsets(weight: offset(of: name + ".weight"), bias: offset(of: name + ".bias"),
                             outputs: shape[0], inputs: shape.dropFirst().reduce(1, *))
            })
    }

    /// Splits a flat array into named tensors.
    public func tensors(from flat: [Float], prefix: String = "") -> [String: Tensor] {
        precondition(flat.count == count, "ParameterLayout: \(flat.count) values for \(count) parameters")
        var result: [String: Tensor] = [:]
        for entry in entries {
            result[prefix + entry.name] = Tensor(shape: entry.shape, values: Array(flat[entry.range]))
        }
        return result
    }

    /// Joins named tensors (`prefix + name`) into a flat array, or names the first missing
    /// or wrongly shaped tensor.
    public func flatten(_ tensors: [String: Tensor], prefix: String = "") -> Result<[Float], FlattenError> {
        var flat = [Float](repeating: 0, count: count)
        for entry in entries {
            guard let tensor = tensors[prefix + entry.name] else { return .failure(.missing(prefix + entry.name)) }
            guard tensor.shape == entry.shape else {
                return .failure(.wrongShape(prefix + entry.name, expected: entry.shape, found: tensor.shape))
            }
            flat.replaceSubrange(entry.range, with: tensor.values)
        }
        return .success(flat)
    }

    public enum FlattenError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case wrongShape(String, expected: [Int], found: [Int])

        public var description: String {
            switch self {
            case .missing(let name): "missing tensor \(name)"
            case .wrongShape(let name, let expected, let found): "tensor \(name) has shape \(found), expected \(expected)"
            }
        }
    }
}

/// The layers as places in the parameter arena (and in the gradients, same layout).
package typealias ArenaOffsets = ModelParameters<LayerOffsets, LayerOffsets>

/// Where one layer's weight and bias start in the parameter arena, and its shape: a
/// Linear's `outputs × inputs` (a convolution viewed as one), a LayerNorm's width in both.
package struct LayerOffsets {
    package let weight: Int
    package let bias: Int
    package let outputs: Int
    package let inputs: Int
}

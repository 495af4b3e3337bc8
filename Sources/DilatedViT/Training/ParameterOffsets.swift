/// Offsets of each layer's tensors in the flat parameter (and gradient) arrays, resolved
/// once from the names so the passes do no dictionary lookups.
struct ParameterOffsets {
    struct Norm {
        let weight: Int
        let bias: Int
    }

    struct Linear {
        let weight: Int
        let bias: Int
        let inputs: Int
        let outputs: Int
    }

    struct Block {
        let norm1: Norm
        let qkv: Linear
        let projection: Linear
        let norm2: Norm
        let fc1: Linear
        let fc2: Linear
    }

    /// One stage of the hMLP stem; `linear` views its kernel as `(out, 4·in)`.
    struct StemLayer {
        let stage: StemStage
        let linear: Linear
        let norm: Norm?
    }

    enum Embedding {
        case linear(Linear)
        case hierarchicalMLP([StemLayer])
    }

    let embedding: Embedding
    let blocks: [Block]
    let norm: Norm
    let head: Linear

    init(layout: ParameterLayout, config: ModelConfig) {
        func normOffsets(_ name: String) -> Norm {
            Norm(weight: layout.offset(of: name + ".weight"), bias: layout.offset(of: name + ".bias"))
        }
        func linear(_ name: String) -> Linear {
            let shape = layout[name + ".weight"]!.shape
            return Linear(weight: layout.offset(of: name + ".weight"), bias: layout.offset(of: name + ".bias"),
                          inputs: shape.dropFirst().reduce(1, *), outputs: shape[0])
        }
        switch config.patchEmbedding {
        case .linear:
            embedding = .linear(linear("patch_embed.proj"))
        case .hierarchicalMLP:
            embedding = .hierarchicalMLP(config.stemStages.map { stage in
                StemLayer(stage: stage, linear: linear("stem.\(stage.index)"), norm: stage.normName.map(normOffsets))
            })
        }
        blocks = (0..<config.depth).map { i in
            let prefix = "blocks.\(i)."
            return Block(norm1: normOffsets(prefix + "norm1"), qkv: linear(prefix + "attn.qkv"),
                         projection: linear(prefix + "attn.proj"), norm2: normOffsets(prefix + "norm2"),
                         fc1: linear(prefix + "mlp.fc1"), fc2: linear(prefix + "mlp.fc2"))
        }
        norm = normOffsets("norm")
        head = linear("head")
    }
}

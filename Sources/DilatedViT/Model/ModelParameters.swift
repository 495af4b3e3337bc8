/// Every parameter of the architecture, in the order of the computation, each named once.
///
/// Names follow the equivalent PyTorch modules (`patch_embed.proj` or `stem.{s}`,
/// `blocks.{i}.attn.qkv`, …, `head`; MODEL.md §4), so safetensors files round-trip through
/// `load_state_dict`. The struct is generic over what a user of the description keeps per
/// layer: `ParameterLayout` keeps offsets into the flat parameter arena (training walks the
/// arena and its gradients through them), `DilatedViTModel` keeps layers ready to run (a
/// LayerNorm's vectors, a Linear packed for its precision). Both are built by the one walk
/// in `init(config:norm:linear:)`, so a new layer is added in one place.
package struct ModelParameters<NormLayer, LinearLayer> {
    package struct Block {
        package var norm1: NormLayer
        package var qkv: LinearLayer
        package var projection: LinearLayer
        package var norm2: NormLayer
        package var fc1: LinearLayer
        package var fc2: LinearLayer
    }

    /// One stage of the hMLP stem; `linear` views its Conv2d kernel as `(out, 4·in)`.
    package struct StemLayer {
        package let stage: StemStage
        package var linear: LinearLayer
        /// LayerNorm over channels before the GELU; nil in the last stage.
        package var norm: NormLayer?
    }

    /// How patches become tokens (`ModelConfig.patchEmbedding`).
    package enum Embedding {
        /// `(D, 3·p·p)`: the Conv2d kernel flattened in `(channel, y, x)` order.
        case linear(LinearLayer)
        case hierarchicalMLP([StemLayer])
    }

    package var embedding: Embedding
    package var blocks: [Block]
    package var norm: NormLayer
    /// Attention pooling's token scores, `D → H` (`pooling = "attention"`); nil for mean pooling.
    package var pool: LinearLayer?
    package var head: LinearLayer

    /// Walks the architecture of `config`, calling `norm(name, width)` for each LayerNorm
    /// (tensors `name.weight` and `name.bias`, both `width`) and `linear(name, weightShape)`
    /// for each Linear or convolution (`name.weight` of that shape, `name.bias` of its first
    /// dimension). This is the model's one table of tensor names.
    package init(config: ModelConfig, norm: (String, Int) throws -> NormLayer,
         linear: (String, [Int]) throws -> LinearLayer) rethrows {
        let d = config.dimension, hidden = config.hiddenDimension, p = config.patchSize
        switch config.patchEmbedding {
        case .linear:
            embedding = .linear(try linear("patch_embed.proj", [d, 3, p, p]))
        case .hierarchicalMLP:
            embedding = .hierarchicalMLP(try config.stemStages.map { stage in
                StemLayer(stage: stage, linear: try linear("stem.\(stage.index)", stage.weightShape),
                          norm: stage.isLast ? nil : try norm("stem.\(stage.index).norm", stage.outputChannels))
            })
        }
        blocks = try (0..<config.depth).map { i in
            let prefix = "blocks.\(i)."
            return Block(norm1: try norm(prefix + "norm1", d), qkv: try linear(prefix + "attn.qkv", [3 * d, d]),
                         projection: try linear(prefix + "attn.proj", [d, d]), norm2: try norm(prefix + "norm2", d),
                         fc1: try linear(prefix + "mlp.fc1", [hidden, d]), fc2: try linear(prefix + "mlp.fc2", [d, hidden]))
        }
        self.norm = try norm("norm", d)
        pool = config.pooling == .attention ? try linear("pool.score", [config.heads, d]) : nil
        head = try linear("head", [config.classCount, d])
    }

    /// The same layers, each turned into another form (packed for a precision, say).
    func map<N, L>(norm transformNorm: (NormLayer) -> N, linear transformLinear: (LinearLayer) -> L) -> ModelParameters<N, L> {
        ModelParameters<N, L>(
            embedding: {
                switch embedding {
                case .linear(let layer): .linear(transformLinear(layer))
                case .hierarchicalMLP(let layers):
                    .hierarchicalMLP(layers.map { .init(stage: $0.stage, linear: transformLinear($0.linear),
                                                        norm: $0.norm.map(transformNorm)) })
                }
            }(),
            blocks: blocks.map { block in
                .init(norm1: transformNorm(block.norm1), qkv: transformLinear(block.qkv),
                      projection: transformLinear(block.projection), norm2: transformNorm(block.norm2),
                      fc1: transformLinear(block.fc1), fc2: transformLinear(block.fc2))
            },
            norm: transformNorm(norm), pool: pool.map(transformLinear), head: transformLinear(head))
    }

    /// Every LayerNorm, in the order of the walk.
    var allNorms: [NormLayer] {
        var norms: [NormLayer] = []
        if case .hierarchicalMLP(let layers) = embedding { norms += layers.compactMap(\.norm) }
        for block in blocks { norms += [block.norm1, block.norm2] }
        return norms + [norm]
    }

    /// Every Linear, in the order of the walk.
    var allLinears: [LinearLayer] {
        var linears: [LinearLayer]
        switch embedding {
        case .linear(let layer): linears = [layer]
        case .hierarchicalMLP(let layers): linears = layers.map(\.linear)
        }
        for block in blocks { linears += [block.qkv, block.projection, block.fc1, block.fc2] }
        return linears + (pool.map { [$0] } ?? []) + [head]
    }

    private init(embedding: Embedding, blocks: [Block], norm: NormLayer, pool: LinearLayer?, head: LinearLayer) {
        self.embedding = embedding
        self.blocks = blocks
        self.norm = norm
        self.pool = pool
        self.head = head
    }
}

extension ModelParameters: Sendable where NormLayer: Sendable, LinearLayer: Sendable {}
extension ModelParameters.Block: Sendable where NormLayer: Sendable, LinearLayer: Sendable {}
extension ModelParameters.StemLayer: Sendable where NormLayer: Sendable, LinearLayer: Sendable {}
extension ModelParameters.Embedding: Sendable where NormLayer: Sendable, LinearLayer: Sendable {}

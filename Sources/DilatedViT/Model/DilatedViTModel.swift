import Foundation

/// A DilatedViT image classifier: immutable weights, safe to share across threads
/// (each call allocates its own activations).
///
/// Accepts any grid from 1×1 upward; the cost of a call is linear in the token count in
/// dilated mode and quadratic in dense mode. See docs/MODEL.md for the computation.
public final class DilatedViTModel: Sendable {
    public let config: ModelConfig
    /// The layers, built once on the weights' arena at `precision`.
    let layers: ModelLayers
    /// Tokens per MLP (and hMLP stem) block: bounds the `hidden`-wide activations to this
    /// many rows.
    public let tokenBlockLength: Int
    /// Tokens per dilated attention band, roughly (`AttentionBands`): bounds the q/k/v
    /// activations, and keeps them in cache between their product and attention.
    public let attentionBandTokens: Int
    /// The arithmetic of the patch embedding's and the blocks' products (the head is fp32).
    public let precision: MatmulPrecision

    /// With `precision: .bfloat16`, the Linear weights are packed to bf16 once, here; handed
    /// over (`consume`), the fp32 arena is freed once they are packed. In fp32 the layers
    /// read the arena itself.
    public init(config: ModelConfig, weights: consuming ModelWeights, tokenBlockLength: Int = 1024,
                attentionBandTokens: Int = 2048, precision: MatmulPrecision = .float32) {
        precondition(tokenBlockLength > 0 && attentionBandTokens > 0,
                     "DilatedViTModel: token block and band sizes must be positive")
        precondition((try? config.validate()) != nil, "DilatedViTModel: invalid config")
        precondition(weights.layout == ParameterLayout(config: config),
                     "DilatedViTModel: weights were validated against another config")
        self.config = config
        layers = weights.layers(config: config, precision: precision)
        self.tokenBlockLength = tokenBlockLength
        self.attentionBandTokens = attentionBandTokens
        self.precision = precision
    }

    /// The parameters in use (BF16 weights as their rounded fp32 values), for saving or
    /// for another model.
    public var weights: ModelWeights { ModelWeights(layers, config: config) }

    /// Loads a config JSON and a safetensors file, validating both.
    public convenience init(configURL: URL, weightsURL: URL, precision: MatmulPrecision = .float32) throws {
        let config = try ModelConfig(contentsOf: configURL)
        let weights = try ModelWeights(contentsOf: weightsURL, config: config)
        self.init(config: config, weights: consume weights, precision: precision)
    }

    /// Loads `config.json` and `model.safetensors` from `directory`.
    public convenience init(contentsOf directory: URL, precision: MatmulPrecision = .float32) throws {
        try self.init(configURL: directory.appendingPathComponent("config.json"),
                      weightsURL: directory.appendingPathComponent("model.safetensors"), precision: precision)
    }

    /// The pooled `D`-vector fed to the head: final LayerNorm, then the pool over tokens (with
    /// a coarse view's tokens, for a grid larger than the config's `coarse_view_tokens`).
    /// `attention` defaults to the config's mode.
    public func features(for grid: PatchGrid, attention: AttentionMode? = nil) -> [Float] {
        let view = coarseView(of: grid, attention: attention)
        return forward(grid, attention: attention) { pool($0, view: view) }
    }

    /// Each token's share of the logits: `tokenCount × classCount` floats, row-major (token
    /// `t = row·columns + column`), whose mean over tokens is exactly `logits(for:)` (up to
    /// float rounding) — a class-activation map with no approximation in it.
    ///
    /// Pooling is a weighted sum `f = Σ_t w_t ⊙ z_t` of the final-LayerNorm rows `z_t` and the
    /// head is linear, so row `t` is the head applied to `N·w_t ⊙ z_t`: with mean pooling
    /// (`w_t = 1/N`) the head of `z_t` itself; with attention pooling, `z_t` scaled channel by
    /// channel by `N` times its head's weight (MODEL.md §9.3). A coarse view's term `w_u ⊙ z_u`
    /// is shared evenly by the grid tokens whose centres lie in view token `u` (§9.4).
    public func tokenLogits(for grid: PatchGrid, attention: AttentionMode? = nil) -> [Float] {
        let view = coarseView(of: grid, attention: attention)
        return forward(grid, attention: attention) { workspace in
            let d = config.dimension, heads = config.heads, dh = config.headDimension
            // Attention pooling needs every token's score before any weight is final.
            var pool: AttentionPool? = layers.pool.map { attentionPool(workspace, scores: $0) }
            if let view { pool?.add(view) }
            let viewShares = view.map { $0.shares(of: pool!) }
            var scores = [Float](repeating: 0, count: workspace.blockLength * heads)
            var logits = [Float](repeating: 0, count: grid.tokenCount * config.classCount)
            logits.withUnsafeMutableBufferPointer { output in
                forEachNormalisedBlock(workspace) { start, count, normalised in
                    if let pool, let score = layers.pool {
                        scores.withUnsafeMutableBufferPointer { weights in
                            score.apply(normalised, rows: count, into: weights.baseAddress!)
                            pool.weights(replacing: weights.baseAddress!, count: count)
                            let n = Float(grid.tokenCount)
                            for t in 0..<count {
                                for c in 0..<d { normalised[t * d + c] *= n * weights[t * heads + c / dh] }
                                if let viewShares {
                                    let share = viewShares.owners[start + t] * d
                                    for c in 0..<d { normalised[t * d + c] += n * viewShares.rows[share + c] }
                                }
                            }
                        }
                    }
                    layers.head.apply(normalised, rows: count,
                                       into: output.baseAddress! + start * config.classCount)
                }
            }
            return logits
        }
    }

    /// Class scores before the softmax, in `config.labels` order.
    public func logits(for grid: PatchGrid, attention: AttentionMode? = nil) -> [Float] {
        logits(forFeatures: features(for: grid, attention: attention))
    }

    /// The head applied to pooled features.
    public func logits(forFeatures features: [Float]) -> [Float] {
        precondition(features.count == config.dimension)
        var logits = [Float](repeating: 0, count: config.classCount)
        features.withUnsafeBufferPointer { input in
            logits.withUnsafeMutableBufferPointer { output in
                layers.head.apply(input.baseAddress!, rows: 1, into: output.baseAddress!)
            }
        }
        return logits
    }

    /// Class probabilities (softmax of the logits), in `config.labels` order.
    public func probabilities(for grid: PatchGrid, attention: AttentionMode? = nil) -> [Float] {
        softmax(logits(for: grid, attention: attention))
    }

    /// The tokens entering block 0 (`N × D`): patch embedding plus position code.
    func embeddedTokens(for grid: PatchGrid) -> [Float] {
        var tokens = [Float](repeating: 0, count: grid.tokenCount * config.dimension)
        tokens.withUnsafeMutableBufferPointer { embed(grid, into: $0.baseAddress!) }
        return tokens
    }

    /// Patch embedding plus the position code of the grid's rows `rows` of a `gridRows`-row
    /// grid (all of it by default). The linear embedding is one GEMM over all patches; the
    /// hMLP stem runs in token blocks, like the MLP, since its intermediate maps are several
    /// times wider than `D`.
    private func embed(_ grid: PatchGrid, into tokens: UnsafeMutablePointer<Float>,
                       rows: Range<Int>? = nil, of gridRows: Int? = nil) {
        grid.values.withUnsafeBufferPointer { patches in
            switch layers.embedding {
            case .linear(let patchEmbedding):
                patchEmbedding.apply(patches.baseAddress!, rows: grid.tokenCount, into: tokens)
            case .hierarchicalMLP(let stem):
                stem.embed(patches.baseAddress!, tokens: grid.tokenCount, blockLength: tokenBlockLength,
                           epsilon: config.layerNormEpsilon, into: tokens)
            }
        }
        config.architecture.addPositionCode(to: tokens, rows: gridRows ?? grid.rows, columns: grid.columns, part: rows)
    }

    /// Embeds `grid`, runs every block over one workspace, and hands the final residual
    /// stream to `finish`.
    private func forward<Result>(_ grid: PatchGrid, attention: AttentionMode?,
                                 finish: (ForwardWorkspace) -> Result) -> Result {
        let whole = GridStrips(gridRows: grid.rows, gridColumns: grid.columns, ranks: 1)
        return forward(grid, of: whole, in: SingleProcessGroup(), attention: attention) { workspace, _ in finish(workspace) }
    }

    /// The forward pass of one rank's strip of a grid (the whole grid on one process):
    /// embeds the strip into this rank's residual rows (`StripLayout.local`), runs every
    /// block — exchanging halo rows and lattice keys and values with the other ranks — and
    /// hands `finish` the workspace, the tokens this rank owns and the bytes it sent.
    func forward<Result>(_ strip: PatchGrid, of strips: GridStrips, in group: any ProcessGroup,
                         attention: AttentionMode?,
                         finish: (ForwardWorkspace, StripExchange) -> Result) -> Result {
        precondition(strip.patchSize == config.patchSize,
                     "DilatedViTModel: grid of \(strip.patchSize)-pixel patches for a model with patch \(config.patchSize)")
        let mode = attention ?? config.attention
        let rows = strips.gridRows, columns = strips.gridColumns, d = config.dimension
        let (levels, spanningLevels) = bandLevels(rows: rows, columns: columns, mode: mode)
        let layout = StripLayout(strips: strips, rank: group.rank,
                                 tileSide: stripRowAlignment(rows: rows, columns: columns, attention: mode))
        precondition(strip.rows == layout.own.count && strip.columns == columns,
                     "DilatedViTModel: rank \(group.rank)'s strip is \(strip.rows)×\(strip.columns) patches, not its rows \(layout.own) of \(columns) columns")
        let bands = AttentionBands(mode: mode, levels: levels, gridRows: layout.local.count, gridColumns: columns,
                                   targetTokens: attentionBandTokens)
        let spanning = SpanningLevels(levels: spanningLevels, heads: config.heads, headDimension: config.headDimension,
                                      layout: layout)
        let workspace = ForwardWorkspace(tokenCount: layout.local.count * columns, bandTokens: bands.maxTokens,
                                         dimension: d, heads: config.heads,
                                         hiddenDimension: config.hiddenDimension, blockLength: tokenBlockLength)
        let firstOwn = (layout.own.lowerBound - layout.local.lowerBound) * columns
        let exchange = StripExchange(ownTokens: firstOwn..<firstOwn + strip.tokenCount, group: group)
        embed(strip, into: workspace.residual + firstOwn * d, rows: layout.own, of: rows)
        let pass = InferenceBlockPass(workspace: workspace, bands: bands, levels: levels, spanning: spanning,
                                      layout: layout, exchange: exchange, config: config, mode: mode)
        for block in layers.blocks { block.forward(pass) }
        return finish(workspace, exchange)
    }

    /// A grid's levels split into those each attention band attends over itself and those
    /// wider than a band (the ones Model v2's level rule adds: `SpanningLevels`).
    func bandLevels(rows: Int, columns: Int, mode: AttentionMode) -> (band: [AttentionLevel], spanning: [AttentionLevel]) {
        let levels = config.architecture.attentionLevels(rows: rows, columns: columns)
        guard mode == .dilated else { return (levels, []) }
        return (Array(levels.prefix(config.levels.count)), Array(levels.dropFirst(config.levels.count)))
    }

    /// The final LayerNorm of `tokens` (all by default), token block by token block through
    /// the MLP scratch rows: `body(start, count, rows)` sees `count` normalised `D`-rows
    /// starting at token `start`.
    private func forEachNormalisedBlock(_ workspace: ForwardWorkspace, tokens: Range<Int>? = nil,
                                        _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let d = config.dimension
        for (start, count) in workspace.blocks(in: tokens ?? 0..<workspace.tokenCount) {
            layers.norm.weight.withUnsafeBufferPointer { weight in
                layers.norm.bias.withUnsafeBufferPointer { bias in
                    layerNorm(workspace.residual + start * d, into: workspace.blockNormalised,
                              rows: count, columns: d, weight: weight.baseAddress!,
                              bias: bias.baseAddress!, epsilon: config.layerNormEpsilon)
                }
            }
            body(start, count, workspace.blockNormalised)
        }
    }

    /// Final LayerNorm and pooling of `tokens` (all by default), with `view`'s rows; with
    /// more than one rank in `group`, every rank's partial pool combined (one rank brings
    /// the view).
    func pool(_ workspace: ForwardWorkspace, tokens: Range<Int>? = nil,
              in group: any ProcessGroup = SingleProcessGroup(), view: CoarseViewReading? = nil) -> [Float] {
        guard let score = layers.pool else {
            precondition(view == nil, "a coarse view needs attention pooling")
            var pool = MeanPool(dimension: config.dimension)
            forEachNormalisedBlock(workspace, tokens: tokens) { _, count, normalised in pool.add(normalised, count: count) }
            pool.combine(in: group)
            return pool.mean
        }
        var pool = attentionPool(workspace, tokens: tokens, scores: score)
        if let view { pool.add(view) }
        pool.combine(in: group)
        return pool.pooled
    }

    /// The coarse view of a whole grid, read (nil when the grid has none: MODEL.md §9.4).
    private func coarseView(of grid: PatchGrid, attention: AttentionMode?) -> CoarseViewReading? {
        CoarseView(of: grid, budget: config.coarseViewTokens)
            .map { read($0, gridTokens: grid.tokenCount, attention: attention) }
    }

    /// Runs the blocks over `view`'s grid and keeps what the pool needs of it: its
    /// final-LayerNorm rows and pooling scores. Read before the grid, so its activations are
    /// gone when the grid's are made.
    func read(_ view: CoarseView, gridTokens: Int, attention: AttentionMode?) -> CoarseViewReading {
        let grid = view.grid, d = config.dimension, heads = config.heads
        return forward(grid, attention: attention) { workspace in
            var rows = [Float](repeating: 0, count: grid.tokenCount * d)
            var scores = [Float](repeating: 0, count: grid.tokenCount * heads)
            forEachNormalisedBlock(workspace) { start, count, normalised in
                rows.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * d).update(from: normalised, count: count * d) }
                scores.withUnsafeMutableBufferPointer { layers.pool!.apply(normalised, rows: count, into: $0.baseAddress! + start * heads) }
            }
            return CoarseViewReading(view: view, rows: rows, scores: scores, heads: heads,
                                     scoreOffset: config.architecture.coarseViewScoreOffset(gridTokens: gridTokens,
                                                                                            viewTokens: grid.tokenCount))
        }
    }

    /// Attention pooling over `tokens` (all by default), its scores computed block by block.
    private func attentionPool(_ workspace: ForwardWorkspace, tokens: Range<Int>? = nil,
                               scores score: Linear) -> AttentionPool {
        var pool = AttentionPool(heads: config.heads, dimension: config.dimension)
        var scores = [Float](repeating: 0, count: workspace.blockLength * config.heads)
        scores.withUnsafeMutableBufferPointer { scores in
            forEachNormalisedBlock(workspace, tokens: tokens) { _, count, normalised in
                score.apply(normalised, rows: count, into: scores.baseAddress!)
                pool.add(normalised, scores: scores.baseAddress!, count: count)
            }
        }
        return pool
    }
}

/// The inference forward of a block over one `ForwardWorkspace`: attention one band at a
/// time (no window crosses a band, and the rows a band adds to are read by no later band),
/// the MLP one token block at a time, so only the residual stream grows with the grid.
struct InferenceBlockPass: BlockForwardPass {
    let workspace: ForwardWorkspace
    let bands: AttentionBands
    /// The levels each band attends over itself (all but the spanning ones).
    let levels: [AttentionLevel]
    /// The levels wider than a band, attended before the bands and merged into each.
    let spanning: SpanningLevels?
    /// This rank's rows of the grid and the ranks it exchanges with (one process: the whole grid).
    let layout: StripLayout
    let exchange: StripExchange
    let config: ModelConfig
    let mode: AttentionMode

    var attentionRows: [AttentionBands.Band] { bands.bands }
    /// Only the tokens this rank owns: halo rows are replaced before the next block reads them.
    var mlpRows: [TokenBlock] { workspace.blocks(in: exchange.ownTokens) }
    private var d: Int { config.dimension }

    /// The band's first token in the residual stream.
    private func tokens(_ band: AttentionBands.Band) -> UnsafeMutablePointer<Float> {
        workspace.residual + (band.firstRow * bands.gridColumns + band.firstColumn) * d
    }

    /// A band narrower than the grid is a stack of row runs `gridColumns` tokens apart: LN1
    /// gathers them into contiguous rows and the projection's output is added back run by run.
    private func runs(_ band: AttentionBands.Band) -> StridedRows {
        StridedRows(count: band.rows, length: band.columns, stride: bands.gridColumns, width: d)
    }

    func prepareAttention(_ norm1: NormWeights, _ qkv: Linear) {
        exchange.haloBytes += layout.exchangeHalo(workspace.residual, dimension: d, in: exchange.group)
        if let spanning {
            exchange.latticeBytes += spanning.attend(residual: workspace.residual, norm: norm1, qkv: qkv,
                                                     epsilon: config.layerNormEpsilon, in: exchange.group)
        }
    }

    func norm1(_ band: AttentionBands.Band, _ norm: NormWeights) -> UnsafeMutablePointer<Float> {
        norm.weight.withUnsafeBufferPointer { weight in
            norm.bias.withUnsafeBufferPointer { bias in
                layerNorm(tokens(band), runs: runs(band), into: workspace.normalised,
                          weight: weight.baseAddress!, bias: bias.baseAddress!, epsilon: config.layerNormEpsilon)
            }
        }
        return workspace.normalised
    }

    func qkv(_ input: UnsafeMutablePointer<Float>, _ band: AttentionBands.Band, _ layer: Linear) -> UnsafeMutablePointer<Float> {
        layer.apply(input, rows: band.tokenCount, into: workspace.qkv)
        return workspace.qkv
    }

    func attention(_ qkv: UnsafeMutablePointer<Float>, _ band: AttentionBands.Band) -> UnsafeMutablePointer<Float> {
        let problem = AttentionProblem(
            queries: qkv, keys: qkv + d, values: qkv + 2 * d, rowStride: 3 * d, rows: band.rows,
            columns: band.columns, heads: config.heads, headDimension: config.headDimension)
        // LN1's rows are spent: they take the output.
        guard let spanning else {
            multiHeadAttention(problem, mode: mode, levels: levels, output: workspace.normalised)
            return workspace.normalised
        }
        WindowWalker(problem, levels: levels).forward(
            queries: problem.queries, keys: problem.keys, values: problem.values, rowStride: problem.rowStride,
            output: workspace.normalised, logSumExp: workspace.logSumExp)
        spanning.merge(into: workspace.normalised, logSumExp: workspace.logSumExp, band: band)
        return workspace.normalised
    }

    func addProjection(_ input: UnsafeMutablePointer<Float>, _ band: AttentionBands.Band, _ layer: Linear) {
        let runs = runs(band)
        if runs.areContiguous {
            layer.apply(input, rows: band.tokenCount, into: tokens(band), accumulate: true)
        } else {
            // q/k/v are spent: their buffer takes the projection before it is scattered.
            layer.apply(input, rows: band.tokenCount, into: workspace.qkv)
            addRows(workspace.qkv, to: tokens(band), runs: runs)
        }
    }

    func norm2(_ block: TokenBlock, _ norm: NormWeights) -> UnsafeMutablePointer<Float> {
        norm.weight.withUnsafeBufferPointer { weight in
            norm.bias.withUnsafeBufferPointer { bias in
                layerNorm(workspace.residual + block.start * d, into: workspace.blockNormalised, rows: block.count,
                          columns: d, weight: weight.baseAddress!, bias: bias.baseAddress!,
                          epsilon: config.layerNormEpsilon)
            }
        }
        return workspace.blockNormalised
    }

    func fc1GELU(_ input: UnsafeMutablePointer<Float>, _ block: TokenBlock, _ layer: Linear) -> UnsafeMutablePointer<Float> {
        layer.applyGELU(input, rows: block.count, into: workspace.blockHidden)
        return workspace.blockHidden
    }

    func addFC2(_ input: UnsafeMutablePointer<Float>, _ block: TokenBlock, _ layer: Linear) {
        layer.apply(input, rows: block.count, into: workspace.residual + block.start * d, accumulate: true)
    }
}

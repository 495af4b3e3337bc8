extension DilatedViTModel {
    /// Peak bytes a forward pass over a `rows × columns` grid allocates beyond the weights
    /// and the patch grid: `ForwardWorkspace`'s residual stream, one attention band's
    /// input, q/k/v and log-sum-exp, one MLP token block, and the lattices of the levels
    /// wider than a band (`SpanningLevels`); with a coarse view, its pixels, grid and final
    /// rows, kept through the grid's pass. Saturates instead of overflowing.
    public func estimatedForwardBytes(rows: Int, columns: Int, attention: AttentionMode? = nil) -> Int {
        let d = config.dimension, mode = attention ?? config.attention
        let (levels, spanning) = bandLevels(rows: rows, columns: columns, mode: mode)
        let bands = AttentionBands(mode: mode, levels: levels, gridRows: rows, gridColumns: columns,
                                   targetTokens: attentionBandTokens)
        let tokens = rows.saturatingProduct(columns)
        let block = min(tokenBlockLength, tokens)
        let floats = tokens.saturatingProduct(d)
            .saturatingSum(bands.maxTokens.saturatingProduct(4 * d + config.heads))
            .saturatingSum(block.saturatingProduct(d + config.hiddenDimension))
            .saturatingSum(SpanningLevels.floatCount(levels: spanning, heads: config.heads,
                                                     headDimension: config.headDimension, gridRows: rows, gridColumns: columns))
        let view = CoarseView(rows: rows, columns: columns, patchSize: config.patchSize, budget: config.coarseViewTokens)
            .map { $0.resolution.tokenCount * (2 * config.patchFeatures + d + config.heads) } ?? 0
        return floats.saturatingSum(view).saturatingProduct(MemoryLayout<Float>.stride)
    }
}

extension DilatedViTModel {
    /// Peak bytes a forward pass over a `rows × columns` grid allocates beyond the weights
    /// and the patch grid: `ForwardWorkspace`'s residual stream, one attention band's
    /// input and q/k/v, and one MLP token block. Saturates instead of overflowing.
    public func estimatedForwardBytes(rows: Int, columns: Int, attention: AttentionMode? = nil) -> Int {
        let d = config.dimension
        let bands = AttentionBands(mode: attention ?? config.attention, levels: config.architecture.attentionLevels(rows: rows, columns: columns),
                                   gridRows: rows, gridColumns: columns, targetTokens: attentionBandTokens)
        let tokens = rows.saturatingProduct(columns)
        let block = min(tokenBlockLength, tokens)
        let floats = tokens.saturatingProduct(d)
            .saturatingSum(bands.maxTokens.saturatingProduct(4 * d))
            .saturatingSum(block.saturatingProduct(d + config.hiddenDimension))
        return floats.saturatingProduct(MemoryLayout<Float>.stride)
    }
}

/// One pre-norm transformer block (MODEL.md §4) applied in place to the residual stream.
extension ModelParameters.Block where NormLayer == NormWeights, LinearLayer == Linear {
    func apply(to workspace: ForwardWorkspace, bands: AttentionBands, config: ModelConfig,
               attention mode: AttentionMode) {
        let d = config.dimension
        let epsilon = config.layerNormEpsilon

        // x = x + Proj(Attn(LN1(x))), one band at a time: no window crosses a band, and
        // the rows a band adds to are read by no later band. A band narrower than the grid
        // is a stack of row runs `gridColumns` tokens apart: LN1 gathers them into
        // contiguous rows and the projection's output is added back run by run.
        for band in bands.bands {
            let n = band.tokenCount
            let tokens = workspace.residual + (band.firstRow * bands.gridColumns + band.firstColumn) * d
            let runs = StridedRows(count: band.rows, length: band.columns, stride: bands.gridColumns, width: d)
            norm1.weight.withUnsafeBufferPointer { weight in
                norm1.bias.withUnsafeBufferPointer { bias in
                    layerNorm(tokens, runs: runs, into: workspace.normalised,
                              weight: weight.baseAddress!, bias: bias.baseAddress!, epsilon: epsilon)
                }
            }
            qkv.apply(workspace.normalised, rows: n, into: workspace.qkv)
            let problem = AttentionProblem(
                queries: workspace.qkv, keys: workspace.qkv + d, values: workspace.qkv + 2 * d,
                rowStride: 3 * d, rows: band.rows, columns: band.columns,
                heads: config.heads, headDimension: config.headDimension)
            multiHeadAttention(problem, mode: mode, levels: config.levels, output: workspace.normalised)
            if runs.areContiguous {
                projection.apply(workspace.normalised, rows: n, into: tokens, accumulate: true)
            } else {
                // q/k/v are spent: their buffer takes the projection before it is scattered.
                projection.apply(workspace.normalised, rows: n, into: workspace.qkv)
                addRows(workspace.qkv, to: tokens, runs: runs)
            }
        }

        // x = x + FC2(GELU(FC1(LN2(x)))), one token block at a time.
        for (start, count) in workspace.blocks {
            applyMLP(to: workspace.residual + start * d, rows: count, workspace: workspace, epsilon: epsilon)
        }
    }

    /// The MLP residual branch on `rows` consecutive tokens of the residual stream.
    func applyMLP(to tokens: UnsafeMutablePointer<Float>, rows: Int,
                  workspace: ForwardWorkspace, epsilon: Float) {
        let d = fc1.inputs
        norm2.weight.withUnsafeBufferPointer { weight in
            norm2.bias.withUnsafeBufferPointer { bias in
                layerNorm(tokens, into: workspace.blockNormalised, rows: rows, columns: d,
                          weight: weight.baseAddress!, bias: bias.baseAddress!, epsilon: epsilon)
            }
        }
        // FC1 without its bias: the bias add is fused into the GELU pass.
        fc1.applyWithoutBias(workspace.blockNormalised, rows: rows, into: workspace.blockHidden)
        fc1.bias.withUnsafeBufferPointer { bias in
            addBiasAndGELU(bias.baseAddress!, to: workspace.blockHidden, rows: rows, columns: fc1.outputs)
        }
        fc2.apply(workspace.blockHidden, rows: rows, into: tokens, accumulate: true)
    }
}

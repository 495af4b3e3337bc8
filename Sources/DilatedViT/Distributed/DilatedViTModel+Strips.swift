extension DilatedViTModel {
    /// The logits of one grid read sequence-parallel (docs/DISTRIBUTED.md): every rank of
    /// `group` calls this at once with its own rows of the grid (`strips.rows(of: rank)`,
    /// all columns), and every rank gets the logits of the whole grid — those of
    /// `logits(for:)`, up to float rounding. A rank holds its rows widened to whole attention
    /// tiles, not the grid; it exchanges halo rows with its neighbours and the wide levels'
    /// lattice keys and values with every rank, once per block, and the pooled features with
    /// one gather and one sum (a coarse view: one more sum, of its pixels, before the blocks).
    public func logits(forStrip strip: PatchGrid, of strips: GridStrips, in group: any ProcessGroup,
                       attention: AttentionMode? = nil) -> StripLogits {
        precondition(strips.ranks == group.size, "GridStrips for \(strips.ranks) ranks in a group of \(group.size)")
        precondition(strips.ranks <= strips.gridRows,
                     "a grid of \(strips.gridRows) rows cannot be cut into \(strips.ranks) strips")
        // The coarse view (MODEL.md §9.4): every rank adds its rows, one sum, one rank reads it.
        var view = CoarseView(rows: strips.gridRows, columns: strips.gridColumns, patchSize: config.patchSize,
                              budget: config.coarseViewTokens)
        view?.add(strip, firstRow: strips.rows(of: group.rank).lowerBound)
        view?.combine(in: group)
        let reading = group.rank == 0 ? view.map { read($0, gridTokens: strips.gridRows * strips.gridColumns, attention: attention) } : nil
        return forward(strip, of: strips, in: group, attention: attention) { workspace, exchange in
            let features = pool(workspace, tokens: exchange.ownTokens, in: group, view: reading)
            return StripLogits(logits: logits(forFeatures: features), haloBytes: exchange.haloBytes,
                               latticeBytes: exchange.latticeBytes, depth: config.depth)
        }
    }

    /// The row unit of strips that share no attention tile (`GridStrips.rowAlignment`): the
    /// tile side of the levels each band attends over itself (32 rows for the shipped models).
    public func stripRowAlignment(rows: Int, columns: Int, attention: AttentionMode? = nil) -> Int {
        let mode = attention ?? config.attention
        return mode == .dilated ? windowTileSide(bandLevels(rows: rows, columns: columns, mode: mode).band, atMost: rows) : rows
    }

    /// Peak bytes one rank's forward pass allocates for its strip (cf. `estimatedForwardBytes`).
    public func estimatedStripForwardBytes(_ strips: GridStrips, rank: Int, attention: AttentionMode? = nil) -> Int {
        let mode = attention ?? config.attention
        let layout = StripLayout(strips: strips, rank: rank,
                                 tileSide: stripRowAlignment(rows: strips.gridRows, columns: strips.gridColumns, attention: mode))
        // The whole grid's lattices bound one strip's (its points, plus every rank's keys and values).
        let wholeGrid = estimatedForwardBytes(rows: strips.gridRows, columns: strips.gridColumns, attention: mode)
        let wholeResidual = strips.gridRows * strips.gridColumns * config.dimension * MemoryLayout<Float>.stride
        let localResidual = layout.local.count * strips.gridColumns * config.dimension * MemoryLayout<Float>.stride
        return wholeGrid - wholeResidual + localResidual
    }
}

/// A sequence-parallel read's result on one rank, with what the rank sent.
public struct StripLogits: Sendable {
    /// Class scores before the softmax, in `config.labels` order: the same on every rank.
    public var logits: [Float]
    /// Bytes this rank sent over the whole forward pass: residual rows of shared attention
    /// tiles (to its neighbours) and the wide levels' lattice keys and values (to every
    /// other rank, counted once per receiver).
    public var haloBytes: Int
    public var latticeBytes: Int
    /// Transformer blocks, each exchanging once.
    public var depth: Int

    public var bytesSent: Int { haloBytes + latticeBytes }
}

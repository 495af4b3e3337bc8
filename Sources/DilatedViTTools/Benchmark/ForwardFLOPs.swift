import DilatedViT

extension ModelArchitecture {
    /// Floating-point operations of one forward pass on a `rows × columns` grid, counted
    /// from the formulas of MODEL.md: every multiply-add is 2 FLOPs; the patch embedding (or stem),
    /// q/k/v, projection and MLP products, and attention's `q·kᵀ` and `p·v` over exactly the
    /// keys each query sees (border windows are smaller). LayerNorm, GELU, softmax and the
    /// head are left out: they are O(N·D) and below 1% of the total. A grid with a coarse view
    /// (MODEL.md §9.4) adds the view's own pass.
    public func forwardFLOPs(rows: Int, columns: Int, attention mode: AttentionMode) -> Double {
        let view = CoarseView(rows: rows, columns: columns, patchSize: patchSize, budget: coarseViewTokens)
            .map { forwardFLOPs(rows: $0.resolution.rows, columns: $0.resolution.columns, attention: mode) } ?? 0
        return view + gridFLOPs(rows: rows, columns: columns, attention: mode)
    }

    private func gridFLOPs(rows: Int, columns: Int, attention mode: AttentionMode) -> Double {
        let n = Double(rows * columns), d = Double(dimension)
        let linear = 2 * n * (3 * d * d + d * d + 2 * d * Double(hiddenDimension))
        let embedding = switch patchEmbedding {
        case .linear: 2 * n * Double(patchFeatures) * d
        case .hierarchicalMLP:
            stemStages.reduce(0) { $0 + 2 * n * Double($1.positions * $1.blockWidth * $1.outputChannels) }
        }
        return embedding
            + Double(depth) * (linear + 4 * Double(headDimension) * attendedPairs(rows: rows, columns: columns, mode: mode))
    }

    /// Σ over heads and queries of the number of keys the query attends to.
    func attendedPairs(rows: Int, columns: Int, mode: AttentionMode) -> Double {
        let n = Double(rows * columns)
        guard mode == .dilated else { return Double(heads) * n * n }
        var pairs = 0.0
        for level in attentionLevels(rows: rows, columns: columns) {
            for head in 0..<heads {
                let windows = DilatedWindows(level: level, head: head, gridRows: rows, gridColumns: columns)
                guard windows.count > 0 else { continue }
                // Windows are full `side × side` except in the last window row and column.
                let side = windows.side
                let lastRows = windows.latticeRows - (windows.windowRows - 1) * side
                let lastColumns = windows.latticeColumns - (windows.windowColumns - 1) * side
                for (windowRows, rowCount) in [(side, windows.windowRows - 1), (lastRows, 1)] where rowCount > 0 {
                    for (windowColumns, columnCount) in [(side, windows.windowColumns - 1), (lastColumns, 1)]
                    where columnCount > 0 {
                        let size = Double(windowRows * windowColumns)
                        pairs += Double(rowCount * columnCount) * size * size
                    }
                }
            }
        }
        return pairs
    }
}

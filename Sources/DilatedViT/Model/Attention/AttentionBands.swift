/// Horizontal bands of the grid that attention can process one at a time.
///
/// Every dilated window lies inside one `segment × segment` tile aligned to the grid's
/// origin, so bands whose height is a common multiple of all segments never cut a window:
/// each band's attention needs only its own queries, keys and values. The forward pass
/// therefore holds q/k/v for one band instead of the whole grid — the difference between
/// ~1.7 GB and ~4.7 GB at a million tokens. Dense attention sees every token, so it gets a
/// single band.
struct AttentionBands {
    let rowsPerBand: Int
    let gridRows: Int
    let gridColumns: Int

    init(mode: AttentionMode, levels: [AttentionLevel], gridRows: Int, gridColumns: Int) {
        var height = gridRows
        if mode == .dilated {
            var common = 1
            for level in levels where common < gridRows {
                common = common / greatestCommonDivisor(common, level.segment) * level.segment
            }
            height = min(common, gridRows)
        }
        rowsPerBand = max(height, 1)
        self.gridRows = gridRows
        self.gridColumns = gridColumns
    }

    /// The most tokens a band holds.
    var maxTokens: Int { rowsPerBand * gridColumns }

    /// `(firstRow, rows)` of each band, top to bottom.
    var bands: [(firstRow: Int, rows: Int)] {
        stride(from: 0, to: gridRows, by: rowsPerBand).map { ($0, min(rowsPerBand, gridRows - $0)) }
    }
}

private func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}

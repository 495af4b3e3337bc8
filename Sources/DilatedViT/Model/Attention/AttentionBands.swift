/// Rectangles of the grid that attention can process one at a time.
///
/// Every dilated window lies inside one grid-aligned square whose side is a common
/// multiple of all segments (`windowTileSide`), so rectangles made of whole such squares
/// never cut a window: each needs only its own queries, keys and values. The forward
/// pass therefore holds q/k/v for one band instead of the whole grid — the difference
/// between ~1.7 GB and ~4.7 GB at a million tokens — and keeps bands near
/// `targetTokens` so that the q/k/v the product just wrote are still in cache when
/// attention reads them (at 64k tokens, full-width bands left the attention kernel at
/// half its small-grid rate). Dense attention sees every token, so it gets a single band.
struct AttentionBands {
    struct Band {
        let firstRow: Int
        package let rows: Int
        let firstColumn: Int
        package let columns: Int
        var tokenCount: Int { rows * columns }
    }

    let rowsPerBand: Int
    let columnsPerBand: Int
    let gridRows: Int
    let gridColumns: Int

    init(mode: AttentionMode, levels: [AttentionLevel], gridRows: Int, gridColumns: Int,
         targetTokens: Int = 2048) {
        self.gridRows = gridRows
        self.gridColumns = gridColumns
        guard mode == .dilated else {
            rowsPerBand = max(gridRows, 1)
            columnsPerBand = max(gridColumns, 1)
            return
        }
        rowsPerBand = max(windowTileSide(levels, atMost: gridRows), 1)
        let side = max(windowTileSide(levels, atMost: gridColumns), 1)
        let tilesPerBand = max(1, targetTokens / (rowsPerBand * side))
        columnsPerBand = min(gridColumns, tilesPerBand * side)
    }

    /// The most tokens a band holds.
    var maxTokens: Int { rowsPerBand * columnsPerBand }

    /// Every band, left to right within each row of bands, top to bottom.
    var bands: [Band] {
        stride(from: 0, to: gridRows, by: rowsPerBand).flatMap { top in
            stride(from: 0, to: gridColumns, by: columnsPerBand).map { left in
                Band(firstRow: top, rows: min(rowsPerBand, gridRows - top),
                     firstColumn: left, columns: min(columnsPerBand, gridColumns - left))
            }
        }
    }
}

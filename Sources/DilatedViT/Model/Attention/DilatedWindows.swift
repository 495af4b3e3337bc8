/// The windows that one head attends within at one dilated level.
///
/// The head's offset `(oy, ox)` selects the sub-lattice `y ≡ oy, x ≡ ox (mod r)`;
/// sub-lattice point `(a, b)` is token `(oy + r·a, ox + r·b)`. Windows are `m × m`
/// blocks of the sub-lattice (`m = s/r`) tiled from its origin, truncated at the border.
/// Because segment origins are multiples of `s` (hence of `r`), this is exactly the set
/// of tokens the head selects in each `s × s` segment of the grid.
package struct DilatedWindows {
    let offsetY: Int
    let offsetX: Int
    let dilation: Int
    package let side: Int
    /// Sub-lattice extent.
    package let latticeRows: Int
    package let latticeColumns: Int
    package let windowRows: Int
    package let windowColumns: Int

    package init(level: AttentionLevel, head: Int, gridRows: Int, gridColumns: Int) {
        let r = level.dilation
        let j = head % (r * r)
        offsetY = j / r
        offsetX = j % r
        dilation = r
        side = level.windowSide
        latticeRows = offsetY < gridRows ? (gridRows - offsetY + r - 1) / r : 0
        latticeColumns = offsetX < gridColumns ? (gridColumns - offsetX + r - 1) / r : 0
        windowRows = (latticeRows + side - 1) / side
        windowColumns = (latticeColumns + side - 1) / side
    }

    package var count: Int { windowRows * windowColumns }

    /// The most tokens any window of this level can hold on this grid.
    static func capacity(level: AttentionLevel, gridRows: Int, gridColumns: Int) -> Int {
        let r = level.dilation, m = level.windowSide
        return min(m, (gridRows + r - 1) / r) * min(m, (gridColumns + r - 1) / r)
    }

    /// Writes the grid indices of window `index`'s tokens (row-major within the window)
    /// into `tokens` and returns how many there are.
    func tokens(ofWindow index: Int, gridColumns: Int, into tokens: UnsafeMutablePointer<Int>) -> Int {
        self.tokens(inSegmentRow: index / windowColumns, column: index % windowColumns,
                    gridColumns: gridColumns, into: tokens)
    }

    /// Writes the grid indices of the tokens this head selects in the `s × s` segment
    /// (`segmentRow`, `segmentColumn`) — its window there, possibly empty at the far
    /// border — into `tokens` and returns how many there are.
    func tokens(inSegmentRow segmentRow: Int, column segmentColumn: Int, gridColumns: Int,
                into tokens: UnsafeMutablePointer<Int>) -> Int {
        let a0 = segmentRow * side, b0 = segmentColumn * side
        let a1 = min(a0 + side, latticeRows), b1 = min(b0 + side, latticeColumns)
        var n = 0
        for a in a0..<max(a0, a1) {
            let rowBase = (offsetY + dilation * a) * gridColumns + offsetX
            for b in b0..<max(b0, b1) {
                tokens[n] = rowBase + dilation * b
                n += 1
            }
        }
        return n
    }
}

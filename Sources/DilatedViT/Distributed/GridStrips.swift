/// How a sequence-parallel read cuts one photo's patch grid over the ranks of a
/// `ProcessGroup` (docs/DISTRIBUTED.md): rank `r` holds the whole rows `rows(of: r)`,
/// contiguous parts made of whole units of `rowAlignment` rows (the last unit may be
/// partial) whose unit counts differ by at most one. Aligned to the model's attention tiles
/// (`DilatedViTModel.stripRowAlignment`), no tile is shared and only the wide levels'
/// lattices are exchanged; with more ranks than units, strips fall back to single rows.
public struct GridStrips: Sendable, Equatable {
    public let gridRows: Int
    public let gridColumns: Int
    public let ranks: Int
    public let rowAlignment: Int

    public init(gridRows: Int, gridColumns: Int, ranks: Int, rowAlignment: Int = 1) {
        precondition(gridRows > 0 && gridColumns > 0 && ranks > 0 && rowAlignment > 0)
        self.gridRows = gridRows
        self.gridColumns = gridColumns
        self.ranks = ranks
        self.rowAlignment = (gridRows + rowAlignment - 1) / rowAlignment >= ranks ? rowAlignment : 1
    }

    /// The grid rows rank `rank` holds.
    public func rows(of rank: Int) -> Range<Int> {
        let units = shareRange(of: (gridRows + rowAlignment - 1) / rowAlignment, rank: rank, size: ranks)
        return min(units.lowerBound * rowAlignment, gridRows)..<min(units.upperBound * rowAlignment, gridRows)
    }
}

/// One rank's view of the strips for one forward pass.
///
/// The levels a band attends over itself keep every window inside grid-aligned squares of
/// `tileSide` rows (`windowTileSide`), so a rank computes attention over its rows widened to
/// whole tiles (`local`) and, before each block's attention, receives the widening rows
/// ("halo") of the residual stream from the ranks that own them: the rows of a tile another
/// rank shares. Rows are cheaper to send than their keys and values (`D` floats against
/// `2D`); the price is the halo's LN1 and QKV computed twice. Where strip borders fall on
/// tile borders (every 32 rows for the shipped levels) there is no halo at all. The levels
/// wider than a tile exchange their sub-lattices instead (`SpanningLevels`).
struct StripLayout {
    let strips: GridStrips
    let rank: Int
    let tileSide: Int
    /// The grid rows this rank owns (and pools).
    let own: Range<Int>
    /// `own` widened to whole tiles: the rows of this rank's residual stream.
    let local: Range<Int>

    init(strips: GridStrips, rank: Int, tileSide: Int) {
        precondition(tileSide > 0 && (0..<strips.ranks).contains(rank))
        self.strips = strips
        self.rank = rank
        self.tileSide = tileSide
        own = strips.rows(of: rank)
        local = Self.widened(own, tileSide: tileSide, gridRows: strips.gridRows)
    }

    /// The whole grid on one process.
    init(rows: Int, columns: Int, tileSide: Int) {
        self.init(strips: GridStrips(gridRows: rows, gridColumns: columns, ranks: 1), rank: 0, tileSide: tileSide)
    }

    private static func widened(_ rows: Range<Int>, tileSide t: Int, gridRows: Int) -> Range<Int> {
        guard !rows.isEmpty else { return rows }
        return rows.lowerBound / t * t ..< min((rows.upperBound + t - 1) / t * t, gridRows)
    }

    /// Grid rows sent to each other rank: this rank's rows inside that rank's widened rows.
    var sends: [(rank: Int, rows: Range<Int>)] {
        (0..<strips.ranks).compactMap { peer in
            guard peer != rank else { return nil }
            let theirs = Self.widened(strips.rows(of: peer), tileSide: tileSide, gridRows: strips.gridRows)
            let rows = own.clamped(to: theirs)
            return rows.isEmpty ? nil : (peer, rows)
        }
    }

    /// Grid rows received from each other rank: its rows inside this rank's widened rows.
    var receives: [(rank: Int, rows: Range<Int>)] {
        (0..<strips.ranks).compactMap { peer in
            let rows = strips.rows(of: peer).clamped(to: local)
            return peer == rank || rows.isEmpty ? nil : (peer, rows)
        }
    }

    /// Replaces the halo rows of `residual` (this rank's `local` rows, `D` floats a token)
    /// with their owners' current values; returns the bytes sent. Every rank calls it at once.
    @discardableResult
    func exchangeHalo(_ residual: UnsafeMutablePointer<Float>, dimension d: Int, in group: any ProcessGroup) -> Int {
        let rowFloats = strips.gridColumns * d
        func start(_ rows: Range<Int>) -> UnsafeMutablePointer<Float> { residual + (rows.lowerBound - local.lowerBound) * rowFloats }
        let sending = sends.map { RankMessage(rank: $0.rank, values: UnsafeBufferPointer(start: start($0.rows), count: $0.rows.count * rowFloats)) }
        let receiving = receives.map { RankBuffer(rank: $0.rank, values: UnsafeMutableBufferPointer(start: start($0.rows), count: $0.rows.count * rowFloats)) }
        group.exchange(sending: sending, receiving: receiving)
        return sending.reduce(0) { $0 + $1.values.count * MemoryLayout<Float>.stride }
    }
}

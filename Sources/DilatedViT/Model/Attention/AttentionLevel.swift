/// One (segment, dilation) level of dilated attention: square `segment × segment` tiles
/// of the patch grid, inside which every `dilation`-th token in each direction is kept.
public struct AttentionLevel: Sendable, Hashable, Codable {
    public var segment: Int
    public var dilation: Int

    public init(segment: Int, dilation: Int) {
        self.segment = segment
        self.dilation = dilation
    }

    /// Side of the window on the dilated sub-lattice: `segment / dilation` tokens.
    public var windowSide: Int { segment / dilation }
}

/// The least common multiple of the levels' segments, or `limit` if that is smaller: the
/// side of the grid-aligned squares that no dilated window crosses (a square at least as
/// large as the grid holds every window anyway).
func windowTileSide(_ levels: [AttentionLevel], atMost limit: Int) -> Int {
    var common = 1
    for level in levels where common < limit {
        common = common / greatestCommonDivisor(common, level.segment) * level.segment
    }
    return min(common, limit)
}

private func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}

extension ModelArchitecture {
    /// The dilated-attention levels of a `rows × columns` grid under `levelRule`. With
    /// `.toGrid`, levels `(2s, 2r), (4s, 4r), …` follow the last configured level `(s, r)`
    /// until a segment covers the longer side: every token pair meets within
    /// `levels.count` hops, and each added level costs about `N·(s/r)²` scores per head
    /// (one window per selected token), so the cost stays near-linear in `N`.
    public func attentionLevels(rows: Int, columns: Int) -> [AttentionLevel] {
        var result = levels
        guard levelRule == .toGrid, var last = result.last else { return result }
        let side = max(rows, columns)
        while last.segment < side && last.segment <= Self.maxSegment {
            last = AttentionLevel(segment: 2 * last.segment, dilation: 2 * last.dilation)
            result.append(last)
        }
        return result
    }
}

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

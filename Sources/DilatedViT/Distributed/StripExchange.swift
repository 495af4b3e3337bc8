/// One forward pass's communication with the other ranks of a sequence-parallel read: the
/// group, the tokens of the local residual stream this rank owns, and the bytes it sent.
final class StripExchange {
    let ownTokens: Range<Int>
    let group: any ProcessGroup
    /// Bytes this rank sent, over every block: halo rows (`StripLayout.exchangeHalo`) and
    /// lattice keys and values (`SpanningLevels.attend`, counted once per receiving rank).
    var haloBytes = 0
    var latticeBytes = 0

    init(ownTokens: Range<Int>, group: any ProcessGroup) {
        self.ownTokens = ownTokens
        self.group = group
    }
}

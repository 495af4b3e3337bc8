/// Which patches drove a photo's label: the per-token class scores behind its logits.
///
/// The head is linear after a pooling that is a weighted sum over tokens, so each logit
/// splits exactly into per-token terms whose mean it is: with mean pooling the term of
/// token `t` is `head_c(z_t)`, `z_t = LN(x_t)`; with attention pooling (Model v2) it is
/// `head_c(N·a_t ⊙ z_t)`, `a_t` the token's pooling weight per head channel group
/// (docs/MODEL.md §9). `tokenLogits` holds those terms: the photo's logits split
/// additively across its patches.
public struct Explanation: Sendable {
    /// The model's labels, in the order of `logits`, `probabilities` and `tokenLogits` columns.
    public var labels: [String]
    public var logits: [Float]
    public var probabilities: [Float]
    /// Patch grid the photo was classified at.
    public var rows: Int
    public var columns: Int
    /// `rows·columns × labels.count`, row-major by token (`t = row·columns + column`).
    public var tokenLogits: [Float]
    public var photo: PhotoSummary

    public init(labels: [String], tokenLogits: [Float], rows: Int, columns: Int, photo: PhotoSummary) {
        precondition(!labels.isEmpty && rows > 0 && columns > 0 && tokenLogits.count == rows * columns * labels.count,
                     "Explanation: \(tokenLogits.count) token logits for \(rows)×\(columns) tokens × \(labels.count) labels")
        self.labels = labels
        self.rows = rows
        self.columns = columns
        self.tokenLogits = tokenLogits
        self.photo = photo
        // Double accumulation: the same mean the pooled forward pass takes.
        let tokens = rows * columns, classes = labels.count
        var sums = [Double](repeating: 0, count: classes)
        for t in 0..<tokens {
            for c in 0..<classes { sums[c] += Double(tokenLogits[t * classes + c]) }
        }
        logits = sums.map { Float($0 / Double(tokens)) }
        probabilities = softmax(logits)
    }

    /// Index of the most probable label.
    public var predictedIndex: Int {
        probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
    }

    public var predictedLabel: String { labels[predictedIndex] }

    /// Per-patch contributions to the logit of the label at `index`.
    package func relevance(forLabelAt index: Int) -> RelevanceMap {
        precondition(labels.indices.contains(index), "Explanation: no label \(index)")
        let classes = labels.count
        let values = (0..<(rows * columns)).map { tokenLogits[$0 * classes + index] }
        return RelevanceMap(rows: rows, columns: columns, values: values)
    }

    /// Per-patch contributions to `label`'s logit; nil for a label the model does not have.
    package func relevance(for label: String) -> RelevanceMap? {
        labels.firstIndex(of: label).map { relevance(forLabelAt: $0) }
    }
}

/// One value per patch, `rows × columns` row-major: raw logit contributions, whose mean is
/// the class logit.
package struct RelevanceMap: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows > 0 && columns > 0 && values.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Float { values[row * columns + column] }

    /// The patch with the largest contribution.
    public var strongest: (row: Int, column: Int) {
        let index = values.indices.max { values[$0] < values[$1] }!
        return (index / columns, index % columns)
    }

    /// Min–max normalised to [0, 1] over the grid, ready for a colour map (all zeros when
    /// every patch contributes the same).
    public var normalised: HeatMap {
        let low = values.min()!, high = values.max()!
        let range = high - low
        let scaled = range > 0 ? values.map { ($0 - low) / range } : values.map { _ in Float(0) }
        return HeatMap(rows: rows, columns: columns, values: scaled)
    }
}

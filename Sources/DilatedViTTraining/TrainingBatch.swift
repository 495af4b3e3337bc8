import DilatedViT

/// A mini-batch for `TrainingModel.step(batch:)`: photos cut into patch grids that all
/// share one size (multi-resolution training picks a random grid size per batch), and
/// their class indices in `config.labels` order; and, for knowledge distillation, a
/// teacher's class probabilities for each photo (`count × classes`, row-major).
public struct TrainingBatch: Sendable {
    public var grids: [PatchGrid]
    public var labels: [Int]
    public var teacherProbabilities: [Float]?

    public init(grids: [PatchGrid], labels: [Int], teacherProbabilities: [Float]? = nil) {
        precondition(!grids.isEmpty && grids.count == labels.count,
                     "TrainingBatch: \(grids.count) grids for \(labels.count) labels")
        let first = grids[0]
        precondition(grids.allSatisfy { $0.rows == first.rows && $0.columns == first.columns && $0.patchSize == first.patchSize },
                     "TrainingBatch: all grids of a batch must share rows, columns and patch size")
        self.grids = grids
        self.labels = labels
        self.teacherProbabilities = teacherProbabilities
    }

    public var count: Int { grids.count }
    public var rows: Int { grids[0].rows }
    public var columns: Int { grids[0].columns }
}

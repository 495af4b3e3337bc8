import DilatedViT

/// A batch ready for the model, as the data pipeline makes it and `TrainingModel.step(batch:)`
/// takes it: photos cut into patch grids that all share one size (multi-resolution
/// training picks a random grid size per batch) and their class indices in `config.labels`
/// order; and, for knowledge distillation, the teachers' class probabilities for each
/// photo (`count × classes`, row-major).
public struct TrainingBatch: Sendable {
    /// Position of the batch in its epoch (`BatchPlan.index`; 0 for a batch made by hand).
    public var index: Int
    /// Patch rows and columns shared by every grid.
    public var rows: Int
    public var columns: Int
    public var grids: [PatchGrid]
    public var labels: [Int]
    /// Index of each image in the sample list the batch was drawn from. Photos that could
    /// not be decoded are left out, so a batch can be smaller than its plan, even empty.
    public var samples: [Int]
    /// What the teachers read for each photo: the photo before a canvas pasted it, else
    /// the grid itself (`TrainingAugmentation.views`).
    public var teacherGrids: [PatchGrid]
    public var teacherProbabilities: [Float]?

    public init(grids: [PatchGrid], labels: [Int], teacherProbabilities: [Float]? = nil) {
        precondition(!grids.isEmpty && grids.count == labels.count,
                     "TrainingBatch: \(grids.count) grids for \(labels.count) labels")
        let first = grids[0]
        precondition(grids.allSatisfy { $0.rows == first.rows && $0.columns == first.columns && $0.patchSize == first.patchSize },
                     "TrainingBatch: all grids of a batch must share rows, columns and patch size")
        self.init(index: 0, rows: first.rows, columns: first.columns, grids: grids, labels: labels,
                  samples: Array(grids.indices), teacherGrids: grids, teacherProbabilities: teacherProbabilities)
    }

    /// The empty batch of `plan`, for the data pipeline to fill.
    init(plan: BatchPlan) {
        self.init(index: plan.index, rows: plan.rows, columns: plan.columns, grids: [], labels: [], samples: [],
                  teacherGrids: [], teacherProbabilities: nil)
    }

    private init(index: Int, rows: Int, columns: Int, grids: [PatchGrid], labels: [Int], samples: [Int],
                 teacherGrids: [PatchGrid], teacherProbabilities: [Float]?) {
        self.index = index
        self.rows = rows
        self.columns = columns
        self.grids = grids
        self.labels = labels
        self.samples = samples
        self.teacherGrids = teacherGrids
        self.teacherProbabilities = teacherProbabilities
    }

    public var count: Int { grids.count }
}

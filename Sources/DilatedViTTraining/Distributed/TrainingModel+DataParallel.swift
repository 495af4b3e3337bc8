import DilatedViT

/// What one global step saw, summed over every rank.
public struct GlobalStepTotals: Sendable, Equatable {
    /// Photos of the global batch that were decoded (each rank's share, summed).
    public var images: Int
    /// The sum of the photos' losses (mean loss × images).
    public var lossSum: Double
    public var correct: Int
}

extension TrainingModel {
    /// One data-parallel step: sets `gradients` on every rank to the gradient of the mean
    /// loss over the whole global batch — what `step(batch:)` gives for the whole batch in
    /// one process, within float rounding.
    ///
    /// `share` is this rank's part of the global batch (`nil` or empty when the rank has
    /// none: a batch smaller than the rank count, or photos that failed to decode). The
    /// batch size `B` (decoded photos over all ranks) is summed first; each rank then adds
    /// the gradient of `(b/B) × mean over its b photos`, i.e. `(1/B) × Σ` of its photos'
    /// losses, and one all-reduce of the gradient arena (4 × parameter-count bytes) adds the
    /// ranks' parts. The two other collectives carry three numbers (the count before, the
    /// loss and accuracy totals after). With one process `b = B`: the loss scale is exactly
    /// 1 and the step is `step(batch:)` itself.
    ///
    /// Every rank must call this once per global step, even with an empty share; when the
    /// whole global batch is empty (`images == 0`) the gradients are zero and the caller
    /// skips the update.
    @discardableResult
    public func step(share: TrainingBatch?, in group: any ProcessGroup) -> GlobalStepTotals {
        zeroGradients()
        let local = share?.count ?? 0
        var count = [Double(local)]
        group.sum(&count)
        let images = Int(count[0])
        guard images > 0 else { return GlobalStepTotals(images: 0, lossSum: 0, correct: 0) }
        var totals = [0.0, 0.0]
        if let share, local > 0 {
            let scale = local == images ? 1 : Float(Double(local) / Double(images))
            let (loss, correct) = step(batch: share, lossScale: scale)
            totals = [Double(loss) * Double(local), Double(correct)]
        }
        gradients.withUnsafeMutableBufferPointer { group.sum($0) }
        group.sum(&totals)
        return GlobalStepTotals(images: images, lossSum: totals[0], correct: Int(totals[1]))
    }
}

import DilatedViT

/// Turns a planned sample into a patch grid: decode (through the store), augment or
/// resize to the batch's size, normalise and patchify.
public struct BatchAssembler: Sendable {
    public let dataset: ImageFolderDataset
    /// The samples plan indices refer to (e.g. a split's `training`).
    public let samples: [LabeledImage]
    public let store: ImageStore
    public let patchSize: Int
    public let mean: [Float]
    public let std: [Float]
    /// `nil`: evaluation — the whole photo is resized to the grid (area average down,
    /// bilinear up), with no randomness.
    public let augmentation: TrainingAugmentation?

    public init(dataset: ImageFolderDataset, samples: [LabeledImage], store: ImageStore,
                patchSize: Int, mean: [Float] = [0.5, 0.5, 0.5], std: [Float] = [0.5, 0.5, 0.5],
                augmentation: TrainingAugmentation?) {
        precondition(patchSize > 0 && mean.count == 3 && std.count == 3)
        self.dataset = dataset
        self.samples = samples
        self.store = store
        self.patchSize = patchSize
        self.mean = mean
        self.std = std
        self.augmentation = augmentation
    }

    /// Patch size and normalisation from the model's config.
    public init(dataset: ImageFolderDataset, samples: [LabeledImage], store: ImageStore,
                config: ModelConfig, augmentation: TrainingAugmentation?) {
        self.init(dataset: dataset, samples: samples, store: store, patchSize: config.patchSize,
                  mean: config.mean, std: config.std, augmentation: augmentation)
    }

    /// The grid of `samples[sample]` at `rows × columns` patches, or `nil` when the photo
    /// cannot be decoded (the store has reported it).
    public func grid(sample: Int, rows: Int, columns: Int, seed: UInt64) -> AssembledGrid? {
        guard let image = store.image(atPath: dataset.fullPath(of: samples[sample])) else { return nil }
        let width = columns * patchSize, height = rows * patchSize
        let views = augmentation?.views(of: image, width: width, height: height, seed: seed)
            ?? (input: Resampler.resize(image, width: width, height: height), photoBeforeCanvas: nil)
        let input = patchGrid(views.input)
        return AssembledGrid(input: input, teacherView: views.photoBeforeCanvas.map(patchGrid) ?? input)
    }

    private func patchGrid(_ image: RGBImage) -> PatchGrid {
        PatchGrid(image: image, patchSize: patchSize, mean: mean, std: std)
    }

    /// Builds the whole batch on the calling thread.
    public func batch(_ plan: BatchPlan) -> TrainingBatch {
        let grids = zip(plan.samples, plan.seeds).map { sample, seed in
            grid(sample: sample, rows: plan.rows, columns: plan.columns, seed: seed)
        }
        return batch(plan, grids: grids)
    }

    /// Drops the samples whose grid is missing.
    func batch(_ plan: BatchPlan, grids: [AssembledGrid?]) -> TrainingBatch {
        var batch = TrainingBatch(plan: plan)
        for (sample, grid) in zip(plan.samples, grids) {
            guard let grid else { continue }
            batch.grids.append(grid.input)
            batch.teacherGrids.append(grid.teacherView)
            batch.labels.append(samples[sample].label)
            batch.samples.append(sample)
        }
        return batch
    }
}

/// One sample as the model reads it, and as its teachers read it: the same grid (sharing
/// storage) unless the canvas pasted the photo, in which case the photo before pasting.
public struct AssembledGrid: Sendable {
    public var input: PatchGrid
    public var teacherView: PatchGrid
}

import DilatedViT

/// The data side of training in one value: the split, the photo store shared by all
/// epochs, and loaders for training epochs (augmented, multi-resolution, shuffled) and for
/// validation (whole photos at one grid, in order).
///
/// ```swift
/// let data = try TrainingDataPipeline(root: "../shared/datasets/intel-scenes/train", config: config,
///                                     batchSize: 64, gridSides: [8, 10, 12, 14, 16, 20, 24], seed: 1)
/// print(data.split.summary)
/// try data.split.validationListing().write(toFile: "weights/validation.txt", atomically: true, encoding: .utf8)
/// for epoch in 0..<10 {
///     for batch in data.trainingBatches(epoch: epoch) { /* forward, backward, step */ }
///     let matrix = ConfusionMatrix(classCount: 6, evaluating: data.validationBatches(gridSide: 12)) { ... }
/// }
/// ```
public struct TrainingDataPipeline: Sendable {
    public let split: DatasetSplit
    public let store: ImageStore
    public let training: BatchAssembler
    public let validation: BatchAssembler
    public var sampler: MultiResolutionBatchSampler
    /// Background threads per loader (compute shares the cores: keep it small).
    public var loaderThreads: Int
    public var prefetchedBatches: Int

    /// - Parameters:
    ///   - config: patch size and normalisation; its labels must be the folder's labels.
    ///   - seed: the run seed — batches, grid sizes and augmentations derive from it.
    ///   - splitSeed: the validation split's seed, kept apart from the run seed so that
    ///     runs with different seeds validate on the same photos.
    public init(root: String, config: ModelConfig, batchSize: Int, gridSides: [Int], seed: UInt64,
                validationFraction: Double = 0.1, splitSeed: UInt64 = 0,
                augmentation: TrainingAugmentation = TrainingAugmentation(),
                cachesDecodedImages: Bool = false, loaderThreads: Int = 1,
                prefetchedBatches: Int = 3) throws(DatasetError) {
        let dataset = try ImageFolderDataset(root: root)
        guard config.labels == dataset.labels else {
            throw .labelMismatch(model: config.labels, dataset: dataset.labels)
        }
        split = DatasetSplit(dataset, validationFraction: validationFraction, seed: splitSeed)
        store = ImageStore(cachesDecodedImages: cachesDecodedImages)
        training = BatchAssembler(dataset: dataset, samples: split.training, store: store, config: config,
                                  augmentation: augmentation)
        validation = BatchAssembler(dataset: dataset, samples: split.validation, store: store, config: config,
                                    augmentation: nil)
        sampler = MultiResolutionBatchSampler(sampleCount: split.training.count, batchSize: batchSize,
                                              gridSides: gridSides, seed: seed)
        self.loaderThreads = loaderThreads
        self.prefetchedBatches = prefetchedBatches
    }

    /// The training batches of `epoch`, loading in the background as they are consumed.
    public func trainingBatches(epoch: Int) -> PrefetchingBatchLoader {
        trainingBatches(plans: sampler.batches(epoch: epoch))
    }

    /// The training batches of the given plans (e.g. one rank's shares of an epoch's plans).
    public func trainingBatches(plans: [BatchPlan]) -> PrefetchingBatchLoader {
        PrefetchingBatchLoader(plans: plans, assembler: training, threads: loaderThreads,
                               prefetchedBatches: prefetchedBatches)
    }

    /// The validation photos in order, each resized whole to `gridSide × gridSide` patches.
    public func validationBatches(gridSide: Int, batchSize: Int? = nil) -> PrefetchingBatchLoader {
        validationBatches(plans: validationPlans(gridSide: gridSide, batchSize: batchSize))
    }

    /// The plans of `validationBatches(gridSide:batchSize:)`.
    public func validationPlans(gridSide: Int, batchSize: Int? = nil) -> [BatchPlan] {
        BatchPlan.sequential(sampleCount: split.validation.count, batchSize: batchSize ?? sampler.batchSize,
                             rows: gridSide, columns: gridSide)
    }

    /// The validation batches of the given plans.
    public func validationBatches(plans: [BatchPlan]) -> PrefetchingBatchLoader {
        PrefetchingBatchLoader(plans: plans, assembler: validation, threads: loaderThreads,
                               prefetchedBatches: prefetchedBatches)
    }

    /// Decodes every photo once (through the store, so a caching store keeps them for the
    /// first epoch) and returns the ones that cannot be decoded — each also reported by the
    /// store's warning — so that a run can say before it starts how many photos it lacks.
    public func unreadablePhotos() -> [LabeledImage] {
        let samples = split.dataset.samples
        var readable = [Bool](repeating: true, count: samples.count)
        readable.withUnsafeMutableBufferPointer { flags in
            let base = flags.baseAddress!
            parallelFor(samples.count) { i in
                base[i] = store.image(atPath: split.dataset.fullPath(of: samples[i])) != nil
            }
        }
        return samples.indices.filter { !readable[$0] }.map { samples[$0] }
    }
}

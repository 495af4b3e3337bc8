import Foundation
import DilatedViT

/// Trains a model on an image-folder data set: multi-resolution augmented batches, AdamW
/// with warm-up and cosine decay, gradient clipping, validation and a checkpoint after every
/// epoch. The same recipe (seed included) on the same machine gives the same run, and a
/// resumed run continues exactly where the last completed epoch left it.
///
/// Data-parallel over a `ProcessGroup` (one process by default; `dvit-mpi` installs an MPI
/// group): every rank builds the same trainer, loads its share of each global batch, and
/// the ranks' gradients are summed before every rank applies the same update
/// (`TrainingModel.step(share:in:)`); validation is split across ranks too and its counts
/// summed. Only rank 0 writes the run folder (checkpoints, held-out list, lock) and its
/// reports are the ones to print. A run resumes with any number of ranks: batches depend on
/// the seed and the epoch alone, not on the rank count (docs/DISTRIBUTED.md).
public final class Trainer {
    public let config: ModelConfig
    public let recipe: TrainingRecipe
    public let data: TrainingDataPipeline
    public internal(set) var checkpoint: TrainingCheckpoint
    /// Photos of the data set that cannot be decoded (reported on standard error, and left
    /// out of every batch).
    public let unreadablePhotos: [LabeledImage]
    /// The processes training together (a single process unless one was installed).
    public let group: any ProcessGroup

    private let model: TrainingModel
    private var optimizer: AdamW
    /// With `recipe.weightAverageDecay`: the average that validation reads and checkpoints publish.
    private var average: WeightAverage?
    private var state: TrainingCheckpoint.State
    private let schedule: LearningRateSchedule
    private let teachers: TeacherEnsemble?
    /// Held from `init` until `run` returns, and again by any later `run`.
    private var lock: OutputLock?
    private let fingerprint: DataFingerprint

    /// Starts a run in `output` (which must not hold one yet), or resumes the run there after
    /// checking its files, its state and that `dataRoot` gives the same split. Locks `output`
    /// against other trainers until `run` returns. With several ranks (`group`, by default
    /// `ProcessGroups.current`) only rank 0 creates, locks and writes `output`; on resume every
    /// rank reads the run from it (a folder all ranks can read), and rank 0 checks that all
    /// ranks start from the same weights, optimizer state, settings and data split.
    public init(dataRoot: String, output: URL, config: ModelConfig, recipe: TrainingRecipe,
                resume: Bool, cachesImages: Bool = true, loaderThreads: Int = 1,
                group: (any ProcessGroup)? = nil) throws {
        let group = group ?? ProcessGroups.current
        self.group = group
        let writes = group.rank == 0
        try recipe.validate()
        guard config.labels.count >= 2 else { throw TrainerError.oneLabel(dataRoot, config.labels) }
        var config = config
        // The model reads photos at the grid it was validated on unless a caller asks for more.
        config.reading = ReadingPolicy(trainResolution: recipe.validationGridSide * config.patchSize,
                                       defaultMaxTokens: recipe.validationGridSide * recipe.validationGridSide)
        var data = try TrainingDataPipeline(
            root: dataRoot, config: config, batchSize: recipe.batchSize, gridSides: recipe.gridSides,
            seed: recipe.seed, validationFraction: recipe.validationFraction, splitSeed: recipe.splitSeed,
            augmentation: recipe.augmentation, cachesDecodedImages: cachesImages, loaderThreads: loaderThreads)
        data.sampler.tokensPerBatch = recipe.tokensPerBatch
        self.data = data
        guard !data.split.validation.isEmpty else {
            throw TrainerError.noValidationPhotos(dataRoot, heldOut: 0, fraction: recipe.validationFraction)
        }
        fingerprint = DataFingerprint(data.split)
        teachers = recipe.teachers.isEmpty ? nil
            : try TeacherEnsemble(folders: recipe.teachers, for: config, precision: .fastest,
                                  averagesMirroredView: recipe.teachersAverageMirroredView,
                                  maxTokens: recipe.teacherTokens)

        checkpoint = TrainingCheckpoint(directory: output)
        // A mistyped --output with --resume must not become a new run (nor a new folder).
        if resume && !checkpoint.exists && !checkpoint.isOldFormat { throw CheckpointError.noRun(output.path) }
        if writes {
            do {
                try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            } catch {
                throw CheckpointError.cannotWrite(path: output.path, reason: oneLineReason(error))
            }
            lock = try OutputLock(folder: output.path)
            checkpoint.removeLeftovers()
        }
        guard !checkpoint.isOldFormat else { throw CheckpointError.oldFormat(output.path) }
        if checkpoint.exists {
            guard resume else { throw TrainerError.runExists(output.path) }
            let (folder, saved, published) = try Self.verifiedRun(in: checkpoint, recipe: recipe, config: config,
                                                                  data: fingerprint, dataRoot: dataRoot, split: data.split)
            var weights = published
            if let decay = recipe.weightAverageDecay {
                average = WeightAverage(decay: decay, values: published.values)
                weights = try TrainingCheckpoint.loadTrainingWeights(in: folder, config: config)
            }
            model = TrainingModel(config: config, weights: weights, labelSmoothing: recipe.labelSmoothing,
                                  precision: recipe.precision)
            optimizer = try TrainingCheckpoint.loadOptimizer(in: folder, layout: model.layout)
            state = saved
            if writes { try checkpoint.makeLinks() }
        } else {
            guard !resume else { throw CheckpointError.noRun(output.path) }
            let weights = try recipe.initialWeights
                .map { try Self.loadInitialWeights($0, config: config, seed: recipe.seed) }
                ?? ModelWeights(trainingInitFor: config, seed: recipe.seed)
            model = TrainingModel(config: config, weights: weights, labelSmoothing: recipe.labelSmoothing,
                                  precision: recipe.precision)
            optimizer = AdamW(layout: model.layout, weightDecay: recipe.weightDecay)
            average = recipe.weightAverageDecay.map { WeightAverage(decay: $0, values: weights.values) }
            state = .init(recipe: recipe, epochsCompleted: 0, history: [])
        }
        model.loss.distillationWeight = recipe.distillationWeight
        self.config = config
        self.recipe = recipe
        schedule = LearningRateSchedule(peak: recipe.learningRate,
                                        warmupSteps: Int(recipe.warmupEpochs * Double(data.sampler.batchesPerEpoch)),
                                        totalSteps: data.sampler.batchCount(epochs: recipe.epochs),
                                        minimum: recipe.minimumLearningRate)
        unreadablePhotos = data.unreadablePhotos()
        let unreadable = Set(unreadablePhotos.map(\.path))
        guard data.split.validation.contains(where: { !unreadable.contains($0.path) }) else {
            throw TrainerError.noValidationPhotos(dataRoot, heldOut: data.split.validation.count,
                                                  fraction: recipe.validationFraction)
        }
        // The held-out list is written once, when the run starts: a resume has checked that
        // the data still gives it, and only restores it if it went missing.
        if writes && (state.epochsCompleted == 0
                      || !FileManager.default.fileExists(atPath: checkpoint.validationListingPath)) {
            try checkpoint.writeValidationListing(data.split.validationListing())
        }
        try checkRanksAgree(after: state.epochsCompleted, starting: true)
    }

    /// Rank 0 compares every rank's checksum of the parameters, optimizer state, settings,
    /// model and data split with its own, and throws naming the ranks that differ; the other
    /// ranks go on into the next collective, where the abort that follows ends them.
    private func checkRanksAgree(after epochs: Int, starting: Bool) throws {
        guard group.size > 1 else { return }
        var sum = Checksum()
        sum.add(model.parameters)
        sum.add(optimizer.firstMoment)
        sum.add(optimizer.secondMoment)
        sum.add(optimizer.step)
        sum.add(average?.values ?? [])
        sum.add(epochs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        sum.add((try? encoder.encode(recipe)) ?? Data())
        sum.add(config.jsonData())
        sum.add(fingerprint.trainingPaths)
        sum.add(fingerprint.validationPaths)
        let all = group.gather(sum.value)
        guard group.rank == 0 else { return }
        let differing = all.indices.filter { all[$0] != all[0] }
        if !differing.isEmpty {
            throw TrainerError.ranksDiffer(differing, starting ? nil : epochs)
        }
    }

    /// The run to resume: its current set verified file by file, its state consistent, and its
    /// settings, model size and data split the same as this run's.
    private static func verifiedRun(in checkpoint: TrainingCheckpoint, recipe: TrainingRecipe, config: ModelConfig,
                                    data: DataFingerprint, dataRoot: String, split: DatasetSplit)
        throws -> (folder: String, state: TrainingCheckpoint.State, weights: ModelWeights) {
        let run = checkpoint.directory.path
        let (folder, manifest) = try checkpoint.verifiedCurrent()
        let state = try TrainingCheckpoint.loadState(in: folder)
        guard state.recipe == recipe else { throw TrainerError.recipeDiffers(run) }
        guard manifest.epoch == state.epochsCompleted else {
            throw CheckpointError.inconsistentState(
                path: folder + "/state.json",
                reason: "epochsCompleted is \(state.epochsCompleted), the manifest's epoch \(manifest.epoch)")
        }
        let listing = try? String(contentsOfFile: checkpoint.validationListingPath, encoding: .utf8)
        if let difference = data.difference(fromRun: manifest.data, runListing: listing, split: split) {
            throw CheckpointError.dataDiffers(folder: dataRoot, run: run, reason: difference)
        }
        let (savedConfig, weights) = try TrainingCheckpoint.loadModel(in: folder)
        guard savedConfig == config else { throw TrainerError.configDiffers(run) }
        return (folder, state, weights)
    }

    /// Weights of an earlier run, checked against this run's architecture. The reading
    /// policy may differ, and so may the Model v2 options (level rule, position code,
    /// pooling, coarse view): a v1 model starts a v2 run with every tensor the two share, and attention
    /// pooling's scores at zero. The run may also be deeper: the blocks past the saved depth
    /// start as identities (below), so the grown model's first logits are the saved model's.
    private static func loadInitialWeights(_ path: String, config: ModelConfig, seed: UInt64) throws -> ModelWeights {
        let directory = URL(fileURLWithPath: path)
        var saved = try ModelConfig(contentsOf: directory.appendingPathComponent("config.json"))
        let url = directory.appendingPathComponent("model.safetensors")
        if saved.architecture == config.architecture { return try ModelWeights(contentsOf: url, config: config) }
        let savedArchitecture = saved.architecture
        saved.levelRule = config.levelRule
        saved.positionCode = config.positionCode
        saved.positionSpan = config.positionSpan
        saved.pooling = config.pooling
        saved.coarseViewTokens = config.coarseViewTokens
        saved.coarseViewBalance = config.coarseViewBalance
        if saved.depth < config.depth { saved.depth = config.depth }
        guard saved.architecture == config.architecture else { throw TrainerError.initialWeightsDiffer(path) }
        saved.architecture = savedArchitecture
        let source = try ModelWeights(contentsOf: url, config: saved)
        // A new block is a fresh run's block with its two residual branches' output
        // projections zero: it adds nothing until training moves them, and since its other
        // tensors are not zero, their gradients are not either (an all-zero block would stay
        // zero). Only attention pooling's scores are new otherwise: zero scores start it as
        // the mean pooling the v1 model was trained with (as its training initialisation does).
        let fresh = savedArchitecture.depth < config.depth ? ModelWeights(trainingInitFor: config, seed: seed) : nil
        return ModelWeights(config: config) { entry, _ in
            if let saved = source.layout[entry.name] { return Array(source.values[saved.range]) }
            let isResidualOutput = entry.name.contains(".attn.proj.") || entry.name.contains(".mlp.fc2.")
            guard !isResidualOutput, let fresh, entry.name.hasPrefix("blocks."), let new = fresh.layout[entry.name] else {
                return [Float](repeating: 0, count: entry.count)
            }
            return Array(fresh.values[new.range])
        }
    }

    public var epochsCompleted: Int { state.epochsCompleted }
    public var history: [TrainingCheckpoint.EpochRecord] { state.history }

    /// Runs the remaining epochs, reporting as it goes; an error thrown by `report` stops
    /// the run (the last completed epoch stays saved).
    public func run(report: (TrainingEvent) throws -> Void) throws {
        if lock == nil && group.rank == 0 { lock = try OutputLock(folder: checkpoint.directory.path) }
        defer { lock = nil }
        for epoch in state.epochsCompleted..<recipe.epochs {
            let clock = ContinuousClock()
            let start = clock.now
            var images = 0, correct = 0, lossSum = 0.0, batchIndex = 0
            var learningRate: Float = 0
            // Every rank goes through every global batch, loading only its share of it.
            let plans = data.sampler.batches(epoch: epoch)
            let shares = plans.map { $0.share(rank: group.rank, of: group.size) }
            let loader = data.trainingBatches(plans: shares.filter { !$0.samples.isEmpty })
            var loaded = loader.next()
            for plan in plans {
                // The loader skips shares with no decodable photo: such a rank joins with none.
                var share: TrainingBatch?
                if let batch = loaded, batch.index == plan.index {
                    share = batch
                    loaded = loader.next()
                }
                if var batch = share {
                    batch.teacherProbabilities = teachers?.probabilities(for: batch.teacherGrids)
                    share = batch
                }
                let result = model.step(share: share, in: group)
                guard result.images > 0 else { continue }  // no photo of the batch decoded
                if recipe.gradientClip > 0 { _ = clipGradientNorm(&model.gradients, maxNorm: recipe.gradientClip) }
                learningRate = schedule.learningRate(atStep: optimizer.step)
                optimizer.update(&model.parameters, gradients: model.gradients, learningRate: learningRate)
                average?.update(toward: model.parameters)
                images += result.images
                correct += result.correct
                lossSum += result.lossSum
                batchIndex += 1
                let elapsed = (clock.now - start).inSeconds
                try report(.batch(TrainingProgress(
                    epoch: epoch, epochs: recipe.epochs, batch: batchIndex, batchesPerEpoch: plans.count,
                    loss: lossSum / Double(images), accuracy: Double(correct) / Double(images),
                    imagesPerSecond: Double(images) / elapsed, learningRate: learningRate,
                    epochSeconds: elapsed)))
            }
            let seconds = (clock.now - start).inSeconds
            let confusion = validate()
            let accuracy = confusion.accuracy
            let record = TrainingCheckpoint.EpochRecord(
                epoch: epoch + 1, trainingLoss: lossSum / Double(max(images, 1)),
                trainingAccuracy: Double(correct) / Double(max(images, 1)), validationAccuracy: accuracy,
                learningRate: learningRate, seconds: seconds, imagesPerSecond: Double(images) / seconds)
            let isBest = accuracy > (state.bestValidationAccuracy ?? -1)
            state.history.append(record)
            state.epochsCompleted = epoch + 1
            if isBest {
                state.bestEpoch = epoch + 1
                state.bestValidationAccuracy = accuracy
            }
            try checkRanksAgree(after: epoch + 1, starting: false)
            if group.rank == 0 {
                try checkpoint.save(config: config, weights: publishedWeights,
                                    trainingWeights: average == nil ? nil : model.weights, optimizer: optimizer,
                                    state: state, isBest: isBest, data: fingerprint)
            }
            try report(.epochFinished(record, confusion, isBest: isBest))
        }
    }

    /// The weights the run publishes: the average when the recipe keeps one, else the raw weights.
    public var publishedWeights: ModelWeights {
        average.map { ModelWeights(layout: model.layout, values: $0.values) } ?? model.weights
    }

    /// Accuracy of the published weights on the validation split, through the inference path
    /// (in fp32 whatever the training precision: the weights themselves are fp32). With
    /// several ranks each reads its share of every validation batch and the counts are
    /// summed: every rank returns the whole split's matrix.
    public func validate() -> ConfusionMatrix {
        let inference = DilatedViTModel(config: config, weights: publishedWeights)
        var confusion = ConfusionMatrix(classCount: config.classCount)
        let classes = config.classCount
        let plans = data.validationPlans(gridSide: recipe.validationGridSide)
            .map { $0.share(rank: group.rank, of: group.size) }.filter { !$0.samples.isEmpty }
        for batch in data.validationBatches(plans: plans) {
            // Small photos: one image per core beats splitting each tiny forward pass.
            var logits = [Float](repeating: 0, count: batch.count * classes)
            logits.withUnsafeMutableBufferPointer { output in
                let base = output.baseAddress!
                parallelFor(batch.count) { i in
                    let scores = inference.logits(for: batch.grids[i])
                    for c in 0..<classes { base[i * classes + c] = scores[c] }
                }
            }
            for i in 0..<batch.count {
                confusion.record(truth: batch.labels[i], logits: Array(logits[i * classes..<(i + 1) * classes]))
            }
        }
        guard group.size > 1 else { return confusion }
        var counts = confusion.counts.map(Double.init)
        group.sum(&counts)
        return ConfusionMatrix(classCount: classes, counts: counts.map { Int($0) })
    }
}

/// What the trainer reports while it runs.
public enum TrainingEvent: Sendable {
    case batch(TrainingProgress)
    case epochFinished(TrainingCheckpoint.EpochRecord, ConfusionMatrix, isBest: Bool)
}

public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    /// This epoch's batches (token-balanced epochs differ in length).
    public var batchesPerEpoch: Int
    /// Running means over the epoch so far.
    public var loss: Double
    public var accuracy: Double
    public var imagesPerSecond: Double
    public var learningRate: Float
    public var epochSeconds: Double

    /// Seconds left in the whole run, from this epoch's pace.
    public var remainingSeconds: Double {
        let perBatch = epochSeconds / Double(max(batch, 1))
        return perBatch * Double((epochs - epoch) * batchesPerEpoch - batch)
    }
}

public enum TrainerError: Error, CustomStringConvertible {
    case runExists(String)
    case recipeDiffers(String)
    case configDiffers(String)
    case invalidRecipe(String)
    case initialWeightsDiffer(String)
    case teacherMismatch(String, String)
    /// The data folder and its labels.
    case oneLabel(String, [String])
    /// The data folder, the photos held out (all unreadable when there are any), the fraction.
    case noValidationPhotos(String, heldOut: Int, fraction: Double)
    /// Ranks whose checksum differs from rank 0's: at the start (nil) or after an epoch.
    case ranksDiffer([Int], Int?)

    public var description: String {
        switch self {
        case .runExists(let path):
            "\(path) already holds a training run: pass --resume to continue it, or choose another --output"
        case .recipeDiffers(let path):
            "the run in \(path) was started with different training settings; resume it with the same ones"
        case .configDiffers(let path):
            "the run in \(path) was started with a different model size; resume it with the same one"
        case .initialWeightsDiffer(let path):
            "the weights in \(path) belong to a different model size or label set than this run (only a greater --depth may differ)"
        case .teacherMismatch(let path, let reason):
            "the teacher in \(path) does not fit this run: \(reason)"
        case .invalidRecipe(let reason):
            "invalid training settings: \(reason)"
        case let .oneLabel(path, labels):
            "\(path) has a single label folder (\(labels.first ?? "")): a classifier needs at least two labels"
        case let .noValidationPhotos(path, heldOut, fraction):
            heldOut == 0
                ? "no validation photos in \(path): each label keeps at least one photo for training, so a label "
                    + "needs two or more photos for --validation-fraction (\(fraction)) to hold one out"
                : "no validation photos in \(path): all \(heldOut) held-out photos are unreadable"
        case let .ranksDiffer(ranks, epoch):
            (ranks.count == 1 ? "rank \(ranks[0]) differs" : "ranks \(ranks.map(String.init).joined(separator: ", ")) differ")
                + " from rank 0 "
                + (epoch.map { "after epoch \($0) (the ranks' weights diverged)" }
                   ?? "at the start (weights, optimizer state, settings or data split): start every rank "
                      + "with the same arguments, data and run folder")
        }
    }
}


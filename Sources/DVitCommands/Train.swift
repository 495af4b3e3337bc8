import ArgumentParser
import DilatedViT
import DilatedViTTraining
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a scene model on a folder of labelled photos (one sub-folder per label).",
        discussion: """
            Holds out a stratified validation split (fixed --split-seed), trains with random \
            resized crops, flips and colour jitter at a random grid size per batch, validates \
            and checkpoints after every epoch into --output (latest and best/ weights, \
            optimizer state, history, the held-out list), each epoch a checksummed set made \
            current in one atomic step. Interrupt any time, even with kill -9, and continue \
            with --resume, the same settings and the same data (checked); the same seed on \
            the same machine gives the same run. Load --output/best with --weights, \
            --init-weights or --teacher.

            Examples:
              dvit train --data ../shared/datasets/intel-scenes/train \\
                --output checkpoints/scenes --epochs 30
              # after an interruption, the same command with --resume:
              dvit train --data ../shared/datasets/intel-scenes/train \\
                --output checkpoints/scenes --epochs 30 --resume
            """)

    @Option(help: "Training folder: one sub-folder of photos per label.")
    var data: String

    @Option(help: "Run folder for checkpoints.")
    var output = "checkpoints/run"

    @Flag(help: "Continue the run in --output (an error if it holds no finished epoch).")
    var resume = false

    @Option(help: "Embedding width.") var dim = 192
    @Option(help: "Transformer blocks.") var depth = 6
    @Option(help: "Attention heads.") var heads = 6
    @Option(help: "Patch side in pixels.") var patch = 8
    @Option(help: "Patch embedding: linear, or hmlp (hierarchical-MLP stem; patch a power of two ≥ 4).")
    var patchEmbedding: PatchEmbedding = .linear
    @Option(help: "MLP width as a multiple of --dim.") var mlpRatio = 4.0
    @Option(help: "Attention levels as segment:dilation pairs.") var levels = "4:1,8:2,16:4,32:8"
    @Option(help: "Level rule: fixed (exactly --levels), or to_grid (Model v2: doubled until one segment covers the grid).")
    var levelRule: LevelRule = .fixed
    @Option(help: "Position code: sincos2d, or sincos2d_normalised (Model v2: coordinates scaled to the grid).")
    var positionCode: PositionCode = .sinCos2D
    @Option(help: "Pooling: mean, or attention (Model v2: a learned softmax over tokens per head).")
    var pooling: Pooling = .mean
    @Option(help: "Coarse view budget in tokens (Model v2, attention pooling): a grid with more tokens is pooled with its view area-averaged to this many; 0 = none.")
    var coarseViewTokens = 0
    @Option(help: "How much the coarse view weighs against the grid: its pooling scores are raised by this × log(N/Nview); 1 = as much as the whole grid, 0 = as its own tokens.")
    var coarseViewBalance = 0.5

    @Option(help: "Epochs in the whole run (sets the learning-rate schedule).") var epochs = 30
    @Option(help: "Photos per batch.") var batch = 64
    @Option(help: "Peak learning rate (AdamW).") var lr: Float = 1e-3
    @Option(help: "Learning-rate floor of the cosine decay.") var minLr: Float = 1e-5
    @Option(help: "Warm-up epochs (linear).") var warmup = 2.0
    @Option(help: "AdamW weight decay (not on biases and norms).") var weightDecay: Float = 0.05
    @Option(help: "Label smoothing.") var labelSmoothing: Float = 0.1
    @Option(help: "Gradient-norm clip (0 = off).") var clip: Float = 1
    @Option(help: "Run seed: initial weights, batch order, grid sizes, augmentation.") var seed: UInt64 = 1
    @Option(help: "Training grid sides in patches, one drawn per batch.") var gridSides = "8,10,12,14,16"
    @Option(help: "Token-balanced batches: photos per batch = this / tokens per photo (0: --batch photos at every grid).")
    var tokensPerBatch = 0
    @Option(help: "Share of photos pasted, shrunk to --canvas-scale of the side, at a random place on a grey or noise canvas.")
    var canvas = 0.0
    @Option(help: "Side of a photo pasted on a canvas as a fraction of the canvas side: MIN,MAX in (0, 1].")
    var canvasScale = "0.25,0.75"
    @Option(help: "Share of crops enlarged by an exact whole factor (2×, 3×, 4×…), as photos upscaled natively are.")
    var integerZoom = 0.0
    @Option(help: "Smallest share of a photo's area a random resized crop keeps.")
    var minCropArea = 0.35
    @Option(help: "Validation grid side in patches.") var validationGrid = 12
    @Option(help: "Share of each label held out for validation.") var validationFraction = 0.1
    @Option(help: "Seed of the validation split.") var splitSeed: UInt64 = 0
    @Option(help: "Background threads decoding and augmenting photos.") var loaderThreads = 1
    @Option(help: "Worker threads of the products and attention (default: one per core this process may use; DVIT_THREADS).")
    var threads: Int?
    @Flag(help: "Do not keep decoded photos in memory between epochs.") var noCache = false
    @Option(help: "Start from this weights folder (same model size and labels) instead of random weights.")
    var initWeights: String?
    @Option(help: "Linear-layer products: fp32, or bf16 (mixed precision: BF16 products, fp32 weights and optimizer).")
    var precision = MatmulPrecision.float32
    @Option(help: ArgumentHelp("A trained model's weights folder to distil from; repeat for an ensemble.",
                               discussion: "Teachers must have held out the same validation photos (same data and --split-seed)."))
    var teacher: [String] = []
    @Option(help: "The teachers' share of each training target (with --teacher).")
    var distillationWeight: Float = 0.5
    @Flag(help: "Each teacher also reads every crop mirrored and averages the two predictions (a better teacher, twice its time).")
    var teacherMirrorAverage = false
    @Option(help: ArgumentHelp("Teachers read each crop resized to at most this many tokens (0: the student's grid).",
                               discussion: "A v1 teacher is best at its own budget (256): it can then teach a student reading large grids."))
    var teacherTokens = 0
    @Option(help: ArgumentHelp("Keep an exponential moving average of the weights with this decay (e.g. 0.999; 0: off).",
                               discussion: "Validation reads the average and the checkpoints publish it; it spans about 1/(1 − decay) steps."))
    var emaDecay: Float = 0

    func validate() throws {
        guard minCropArea > 0 && minCropArea <= 1 else {
            throw ValidationError("--min-crop-area must lie in (0, 1], got \(minCropArea)")
        }
        guard (0...1).contains(canvas) else { throw ValidationError("--canvas must lie in [0, 1], got \(canvas)") }
        guard (0...1).contains(integerZoom) else {
            throw ValidationError("--integer-zoom must lie in [0, 1], got \(integerZoom)")
        }
        _ = try parsedCanvasScale()
        try requireTrainingPrecision([precision], option: "--precision")
        guard emaDecay >= 0 && emaDecay < 1 else { throw ValidationError("--ema-decay must lie in [0, 1), got \(emaDecay)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard tokensPerBatch >= 0 && teacherTokens >= 0 else {
            throw ValidationError("--tokens-per-batch and --teacher-tokens must not be negative")
        }
    }

    private func parsedCanvasScale() throws -> ClosedRange<Double> {
        let bounds = canvasScale.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low > 0, low <= high, high <= 1 else {
            throw ValidationError("--canvas-scale must be MIN,MAX with 0 < MIN ≤ MAX ≤ 1, got '\(canvasScale)'")
        }
        return low...high
    }

    func run() throws {
        // The library sizes its one worker pool from DVIT_THREADS at its first parallel loop,
        // which has not run yet.
        if let threads { setenv("DVIT_THREADS", String(threads), 1) }
        let dataset = try ImageFolderDataset(root: data)
        for skipped in dataset.skipped { printError("dvit: warning: skipped \(skipped)") }
        let config = try ModelConfig(
            dimension: dim, depth: depth, heads: heads, patchSize: patch, patchEmbedding: patchEmbedding,
            mlpRatio: mlpRatio, levels: try Self.parseLevels(levels), levelRule: levelRule,
            positionCode: positionCode, pooling: pooling, coarseViewTokens: coarseViewTokens,
            coarseViewBalance: coarseViewBalance, labels: dataset.labels)
        let recipe = TrainingRecipe(
            epochs: epochs, batchSize: batch, learningRate: lr, minimumLearningRate: minLr, warmupEpochs: warmup,
            weightDecay: weightDecay, labelSmoothing: labelSmoothing, gradientClip: clip, seed: seed,
            gridSides: try parseIntegerList(gridSides, option: "--grid-sides"),
            tokensPerBatch: tokensPerBatch > 0 ? tokensPerBatch : nil,
            validationGridSide: validationGrid, validationFraction: validationFraction, splitSeed: splitSeed,
            augmentation: TrainingAugmentation(crop: RandomResizedCrop(scale: minCropArea...1),
                                               canvas: canvas > 0 ? CanvasAugmentation(probability: canvas, scale: try parsedCanvasScale()) : nil,
                                               integerZoom: integerZoom > 0 ? IntegerZoom(probability: integerZoom) : nil),
            initialWeights: initWeights, precision: precision, teachers: teacher,
            distillationWeight: distillationWeight, teachersAverageMirroredView: teacherMirrorAverage,
            teacherTokens: teacherTokens > 0 ? teacherTokens : nil, weightAverageDecay: emaDecay > 0 ? emaDecay : nil)
        let trainer = try Trainer(dataRoot: data, output: URL(fileURLWithPath: output), config: config,
                                  recipe: recipe, resume: resume, cachesImages: !noCache, loaderThreads: loaderThreads)
        print(trainer.data.split.summary(unreadable: Set(trainer.unreadablePhotos.map(\.path))))
        if !trainer.unreadablePhotos.isEmpty {
            print("\(trainer.unreadablePhotos.count) unreadable photos (listed on stderr) are not counted above "
                  + "and are left out of every batch")
        }
        let batches = trainer.data.sampler.batchesPerEpoch
        let batchText = tokensPerBatch > 0 ? "about \(batches) batches of about \(tokensPerBatch) tokens"
                                           : "\(batches) batches of \(batch)"
        print("model: dim \(dim), depth \(depth), heads \(heads), patch \(patch) (\(patchEmbedding.rawValue)), levels \(levels) "
              + "(\(levelRule.rawValue)), \(positionCode.rawValue), \(pooling.rawValue) pooling"
              + (coarseViewTokens > 0 ? " with a coarse view of \(coarseViewTokens) tokens (balance \(coarseViewBalance))" : "") + ", \(recipe.precision.rawValue) "
              + "products; \(batchText) per epoch")
        noteSlowPrecisions([recipe.precision])
        if !teacher.isEmpty {
            print("distilling from \(teacher.joined(separator: ", ")) (weight \(distillationWeight)"
                  + (teacherMirrorAverage ? ", each also reading the mirrored crop" : "")
                  + (teacherTokens > 0 ? ", each crop read at ≤ \(teacherTokens) tokens)" : ")"))
        }
        if emaDecay > 0 {
            print("validating and publishing an average of the weights (decay \(emaDecay), about \(Int((1 / (1 - emaDecay)).rounded())) steps)")
        }
        if trainer.epochsCompleted > 0 { print("resuming after epoch \(trainer.epochsCompleted) of \(epochs)") }
        var display = TrainingDisplay()
        try trainer.run { try display.show($0) }
        if let best = trainer.history.max(by: { $0.validationAccuracy < $1.validationAccuracy }) {
            print(String(format: "best validation accuracy %.2f%% at epoch %d; weights in %@/best",
                         best.validationAccuracy * 100, best.epoch, output))
        }
    }

    static func parseLevels(_ text: String) throws -> [AttentionLevel] {
        try text.split(separator: ",").map { pair in
            let parts = pair.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2 else { throw ValidationError("--levels: '\(pair)' is not segment:dilation") }
            return AttentionLevel(segment: parts[0], dilation: parts[1])
        }
    }
}

/// Training progress: a live bar on a terminal, a line per tenth of an epoch in a log.
struct TrainingDisplay {
    private let interactive = isatty(STDOUT_FILENO) == 1
    private var lastLoggedTenth = -1

    mutating func show(_ event: TrainingEvent) throws {
        switch event {
        case .batch(let p):
            let text = String(format: "epoch %d/%d  %d/%d  loss %.3f  acc %.1f%%  %.1f img/s  lr %.2e  ETA %@",
                              p.epoch + 1, p.epochs, p.batch, p.batchesPerEpoch, p.loss, p.accuracy * 100,
                              p.imagesPerSecond, p.learningRate, clockText(p.remainingSeconds))
            if interactive {
                FileHandle.standardOutput.write(Data(("\r" + text + "\u{1B}[K").utf8))
            } else {
                let tenth = p.batch * 10 / p.batchesPerEpoch
                if tenth != lastLoggedTenth { lastLoggedTenth = tenth; print(text); try flushStandardOutput() }
            }
        case .epochFinished(let record, _, let isBest):
            if interactive { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
            lastLoggedTenth = -1
            print(String(format: "epoch %d: train loss %.3f acc %.1f%%, validation %.2f%%%@, %.0f s, %.1f img/s",
                         record.epoch, record.trainingLoss, record.trainingAccuracy * 100,
                         record.validationAccuracy * 100, isBest ? " (best)" : "", record.seconds,
                         record.imagesPerSecond))
            try flushStandardOutput()
        }
    }
}

extension PatchEmbedding: ExpressibleByArgument {}
extension LevelRule: ExpressibleByArgument {}
extension PositionCode: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}

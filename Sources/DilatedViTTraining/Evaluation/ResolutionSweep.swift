import Foundation
import DilatedViT

/// Accuracy against input size: every photo of a sample list is resized (aspect kept, whole
/// patches) so that its short side is `S` pixels, for each `S`, and classified by a closure —
/// so one trained model can be checked at thumbnails and at upscaled inputs alike. With a
/// token budget, each resized photo is then read as `dvit classify` reads an input of that
/// size (scaled down to the budget, and up to it with `allowsUpscaling`); without one, at
/// its full size.
///
/// Each photo is decoded once for all sizes (through the store, so a cached run decodes
/// nothing). Sizes are evaluated one photo at a time because grids of different photos
/// differ in shape; the classifier may parallelise internally.
public struct ResolutionSweep: Sendable {
    public static let defaultShortSides = [96, 128, 160, 224, 320, 448, 600]

    /// Target short sides in pixels (rounded to whole patches).
    public var shortSides: [Int]
    public var patchSize: Int
    public var mean: [Float]
    public var std: [Float]
    /// Token budget of the read (0: every input pixel is read, one token per patch).
    public var maxTokens: Int
    /// Whether inputs smaller than the budget are read upscaled to it (`--upscale`).
    public var allowsUpscaling: Bool

    public init(shortSides: [Int] = ResolutionSweep.defaultShortSides, patchSize: Int,
                mean: [Float] = [0.5, 0.5, 0.5], std: [Float] = [0.5, 0.5, 0.5], maxTokens: Int = 0,
                allowsUpscaling: Bool = false) {
        precondition(!shortSides.isEmpty && shortSides.allSatisfy { $0 > 0 } && patchSize > 0 && maxTokens >= 0)
        self.shortSides = shortSides
        self.patchSize = patchSize
        self.mean = mean
        self.std = std
        self.maxTokens = maxTokens
        self.allowsUpscaling = allowsUpscaling
    }

    public init(shortSides: [Int] = ResolutionSweep.defaultShortSides, config: ModelConfig, maxTokens: Int = 0,
                allowsUpscaling: Bool = false) {
        self.init(shortSides: shortSides, patchSize: config.patchSize, mean: config.mean, std: config.std,
                  maxTokens: maxTokens, allowsUpscaling: allowsUpscaling)
    }

    /// How a resized input is read: the classifier's loader at the sweep's budget.
    private var reader: PhotoLoader {
        PhotoLoader(patchSize: patchSize, maxTokens: maxTokens, allowsUpscaling: allowsUpscaling, mean: mean, std: std)
    }

    /// Accuracy at one short side.
    public struct Entry: Sendable {
        public var shortSide: Int
        /// Grid read from a square photo at this size (`shortSide` rounded to whole
        /// patches, then fitted to the token budget).
        public var squareResolution: WorkingResolution
        public var confusion: ConfusionMatrix
        /// Time spent in the classifier.
        public var classifySeconds: Double
        public var accuracy: Double { confusion.accuracy }
    }

    /// The grid a `width × height` photo gets at short side `shortSide`: the short side
    /// becomes `round(shortSide / p)` patches (at least one), the long side keeps the
    /// aspect ratio to the nearest whole patch. Upscales when the photo is smaller.
    public static func resolution(width: Int, height: Int, shortSide: Int, patchSize p: Int) -> WorkingResolution {
        let shortPatches = max(1, Int((Double(shortSide) / Double(p)).rounded()))
        let short = Double(min(width, height)), long = Double(max(width, height))
        let longPatches = max(shortPatches, Int((long / short * Double(shortPatches)).rounded()))
        return width <= height
            ? WorkingResolution(rows: longPatches, columns: shortPatches, patchSize: p)
            : WorkingResolution(rows: shortPatches, columns: longPatches, patchSize: p)
    }

    /// Classifies every photo of `samples` at every short side. Photos that cannot be
    /// decoded are skipped (the store reports them).
    /// - Parameters:
    ///   - classify: scores for one grid (`classCount` logits or probabilities: the largest is the prediction).
    ///   - progress: called after each photo with (photos done, photos in all).
    public func run(dataset: ImageFolderDataset, samples: [LabeledImage], store: ImageStore,
                    classify: (PatchGrid) throws -> [Float],
                    progress: ((Int, Int) -> Void)? = nil) rethrows -> [Entry] {
        let reader = reader
        var entries = shortSides.map { side in
            let square = Self.resolution(width: 1, height: 1, shortSide: side, patchSize: patchSize)
            return Entry(shortSide: side, squareResolution: reader.workingResolution(width: square.width, height: square.height),
                         confusion: ConfusionMatrix(classCount: dataset.labels.count), classifySeconds: 0)
        }
        for (done, sample) in samples.enumerated() {
            if let image = store.image(atPath: dataset.fullPath(of: sample)) {
                for e in entries.indices {
                    let resolution = Self.resolution(width: image.width, height: image.height,
                                                     shortSide: entries[e].shortSide, patchSize: patchSize)
                    let input = Resampler.resize(image, width: resolution.width, height: resolution.height)
                    let grid = reader.load(input).grid
                    let start = DispatchTime.now().uptimeNanoseconds
                    let logits = try classify(grid)
                    entries[e].classifySeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    entries[e].confusion.record(truth: sample.label, logits: logits)
                }
            }
            progress?(done + 1, samples.count)
        }
        return entries
    }

    /// One line per size: short side, square grid, accuracy, time in the classifier.
    public static func table(_ entries: [Entry]) -> String {
        var text = "short side   grid (square)   tokens   accuracy   classify s\n"
        for entry in entries {
            let r = entry.squareResolution
            text += pad(entry.shortSide, 7) + " px" + pad(r.columns, 8) + "×" + String(r.rows)
                .padding(toLength: 6, withPad: " ", startingAt: 0)
                + pad(r.tokenCount, 9)
                + String(format: "   %7.2f%%   %9.1f", 100 * entry.accuracy, entry.classifySeconds) + "\n"
        }
        return text
    }
}

extension ConfusionMatrix {
    /// Evaluates `batches` (e.g. a validation `PrefetchingBatchLoader`) with `classify`,
    /// which returns one logit vector per image of a batch.
    public init(classCount: Int, evaluating batches: some Sequence<TrainingBatch>,
                classify: (TrainingBatch) throws -> [[Float]]) rethrows {
        self.init(classCount: classCount)
        for batch in batches {
            let logits = try classify(batch)
            precondition(logits.count == batch.count, "\(logits.count) logit vectors for \(batch.count) images")
            for (truth, row) in zip(batch.labels, logits) { record(truth: truth, logits: row) }
        }
    }
}

import Foundation
import DilatedViT
import DilatedViTTraining

/// Accuracy, model time and peak memory of a classifier against its token budget, on a
/// labelled folder (`dvit bench scaling`).
///
/// Every photo is classified exactly as `dvit classify --max-tokens B` (with `--upscale`
/// when `allowsUpscaling`) classifies it, once per budget and attention mode: the photo is
/// decoded again for each row, through the classifier's loader, so memory stays that of one
/// photo at a time however large the set. Each row is measured, never estimated:
/// - tokens: the tokens of each photo's working grid, as read;
/// - accuracy: the top label against the photo's label folder;
/// - time: the classifier's model time per photo (the forward pass and the ranking; decoding
///   and resizing excluded), wall clock;
/// - peak memory: the process's resident high-water mark during the row, after resetting it
///   at the row's start (`PeakResidentMemory`); where the reset is refused, the process's
///   lifetime peak, marked as such.
///
/// Dense attention, quadratic in tokens, runs at a budget only when the largest grid the
/// dilated row read there has at most `denseMaxTokens` tokens; otherwise its row is
/// `skipped` with the largest grid it would have read.
public struct ScalingBenchmark: Sendable {
    /// One (budget, attention) row.
    public struct Row: Sendable, Equatable {
        /// The token budget (0: native, every pixel, one token per patch).
        public var budget: Int
        public var attention: AttentionMode
        /// Photos classified (photos that could not be read are not counted).
        public var photos = 0
        public var correct = 0
        /// Tokens read, summed over the photos, and the largest single grid.
        public var tokensRead = 0
        public var largestTokens = 0
        /// Model time, summed over the photos.
        public var classifySeconds = 0.0
        /// Peak resident memory during the row (see `peakScope`); nil where not reported.
        public var peakResidentBytes: Int?
        public var peakScope = PeakResidentMemory.Scope.sinceReset
        /// Set when the row was not run.
        public var skipped: Skip?

        public init(budget: Int, attention: AttentionMode) {
            self.budget = budget
            self.attention = attention
        }

        public var accuracy: Double? { photos > 0 ? Double(correct) / Double(photos) : nil }
        public var meanTokens: Double? { photos > 0 ? Double(tokensRead) / Double(photos) : nil }
        public var meanMilliseconds: Double? { photos > 0 ? classifySeconds * 1000 / Double(photos) : nil }
    }

    /// Why a dense row was not run: the dilated row at its budget read a grid of `tokens`
    /// tokens, above the dense limit `limit`.
    public struct Skip: Sendable, Equatable {
        public var tokens: Int
        public var limit: Int
    }

    public let classifier: SceneClassifier
    /// Token budgets in the order measured (0: native).
    public var budgets: [Int]
    /// Whether photos smaller than a budget are read upscaled to it, so that each budget
    /// really reads about that many tokens.
    public var allowsUpscaling: Bool
    /// Largest grid dense attention is run on.
    public var denseMaxTokens: Int

    public init(classifier: SceneClassifier, budgets: [Int], allowsUpscaling: Bool = true, denseMaxTokens: Int = 4096) {
        precondition(!budgets.isEmpty && budgets.allSatisfy { $0 >= 0 } && denseMaxTokens >= 0)
        self.classifier = classifier
        self.budgets = budgets
        self.allowsUpscaling = allowsUpscaling
        self.denseMaxTokens = denseMaxTokens
    }

    /// Measures every budget, dilated then dense, on `samples` of `dataset`, whose labels
    /// must be the model's (in the same order).
    /// - Parameters:
    ///   - failed: called for each photo that could not be read in a row (the error names the file).
    ///   - progress: called after each photo of a row with (photos done, photos in the row).
    ///   - finished: called with each row as soon as it is measured or skipped.
    /// - Returns: the rows, two per budget, in order.
    public func run(dataset: ImageFolderDataset, samples: [LabeledImage],
                    failed: (ImageDecodingError) -> Void = { _ in },
                    progress: (Int, Int) -> Void = { _, _ in },
                    finished: (Row) -> Void = { _ in }) -> [Row] {
        precondition(dataset.labels.allSatisfy(classifier.config.labels.contains), "a label folder is not the model's")
        var rows: [Row] = []
        for budget in budgets {
            let dilated = measure(budget: budget, attention: .dilated, dataset: dataset, samples: samples,
                                  failed: failed, progress: progress)
            finished(dilated)
            var dense = Row(budget: budget, attention: .dense)
            if dilated.largestTokens > denseMaxTokens {
                dense.skipped = Skip(tokens: dilated.largestTokens, limit: denseMaxTokens)
            } else {
                dense = measure(budget: budget, attention: .dense, dataset: dataset, samples: samples,
                                failed: failed, progress: progress)
            }
            finished(dense)
            rows += [dilated, dense]
        }
        return rows
    }

    /// One row: every sample classified at `budget` with `attention`.
    public func measure(budget: Int, attention: AttentionMode, dataset: ImageFolderDataset, samples: [LabeledImage],
                        failed: (ImageDecodingError) -> Void = { _ in },
                        progress: (Int, Int) -> Void = { _, _ in }) -> Row {
        let options = ClassificationOptions(topK: 1, maxTokens: budget, allowsUpscaling: allowsUpscaling,
                                            attention: attention)
        var row = Row(budget: budget, attention: attention)
        let reset = PeakResidentMemory.reset()
        for (done, sample) in samples.enumerated() {
            do {
                let result = try classifier.classify(contentsOf: dataset.fullPath(of: sample), options: options)
                let tokens = result.photo.resolution.tokenCount
                row.photos += 1
                row.tokensRead += tokens
                row.largestTokens = max(row.largestTokens, tokens)
                row.classifySeconds += result.modelMilliseconds / 1000
                if result.top.first?.label == dataset.labels[sample.label] { row.correct += 1 }
            } catch {
                failed(error)
            }
            progress(done + 1, samples.count)
        }
        if reset, let peak = PeakResidentMemory.highWaterMarkBytes() {
            row.peakResidentBytes = peak
        } else {
            row.peakResidentBytes = PeakResidentMemory.processPeakBytes()
            row.peakScope = .process
        }
        return row
    }
}

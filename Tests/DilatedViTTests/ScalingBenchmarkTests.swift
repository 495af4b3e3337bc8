import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Serialized: the rows reset the process's peak memory, which the reset test measures.
@Suite(.serialized) struct ScalingBenchmarkTests {
    /// Two photos per label, 40×32: at patch 2, natively 20×16 = 320 tokens.
    private static func folder() throws -> (SyntheticImageFolder, ImageFolderDataset) {
        let folder = try SyntheticImageFolder(counts: ["a": 2, "b": 2, "c": 2])
        return (folder, try ImageFolderDataset(root: folder.root))
    }

    private static func classifier() -> SceneClassifier {
        let config = tinyConfig()
        return SceneClassifier(model: DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 41)))
    }

    /// What a direct classification of the same photos gives: each photo loaded at `budget`
    /// and its logits' largest entry taken as the prediction.
    private static func direct(_ classifier: SceneClassifier, _ dataset: ImageFolderDataset, budget: Int,
                               upscale: Bool, attention: AttentionMode) throws -> (correct: Int, tokens: [Int]) {
        let config = classifier.config
        let loader = PhotoLoader(patchSize: config.patchSize, maxTokens: budget, allowsUpscaling: upscale,
                                 mean: config.mean, std: config.std)
        var correct = 0, tokens: [Int] = []
        for sample in dataset.samples {
            let grid = try loader.load(contentsOf: dataset.fullPath(of: sample)).grid
            let logits = classifier.model.logits(for: grid, attention: attention)
            if logits.indices.max(by: { logits[$0] < logits[$1] }) == sample.label { correct += 1 }
            tokens.append(grid.rows * grid.columns)
        }
        return (correct, tokens)
    }

    @Test func rowsMatchADirectClassificationAtEveryBudget() throws {
        let (folder, dataset) = try Self.folder()
        defer { folder.remove() }
        let classifier = Self.classifier()
        let benchmark = ScalingBenchmark(classifier: classifier, budgets: [16, 64, 0], allowsUpscaling: true,
                                         denseMaxTokens: 64)
        var finished: [ScalingBenchmark.Row] = []
        var steps = 0
        let rows = benchmark.run(dataset: dataset, samples: dataset.samples, failed: { Issue.record("failed: \($0)") },
                                 progress: { _, total in steps += 1; #expect(total == 6) },
                                 finished: { finished.append($0) })
        #expect(rows == finished)
        #expect(rows.map { "\($0.budget) \($0.attention)" }
                == ["16 dilated", "16 dense", "64 dilated", "64 dense", "0 dilated", "0 dense"])
        #expect(steps == 5 * 6)  // the native dense row is skipped

        for row in rows where row.skipped == nil {
            let expected = try Self.direct(classifier, dataset, budget: row.budget, upscale: true, attention: row.attention)
            #expect(row.photos == 6)
            #expect(row.correct == expected.correct, "\(row.budget) \(row.attention)")
            #expect(row.tokensRead == expected.tokens.reduce(0, +) && row.largestTokens == expected.tokens.max())
            #expect(row.classifySeconds > 0)
            #expect((row.peakResidentBytes ?? 0) > 0)
            #if os(Linux)
            #expect(row.peakScope == .sinceReset)
            #endif
            if row.budget > 0 {
                // Upscaled: every photo reads the budget's tokens, up to the rounding of its 5:4 grid.
                #expect(expected.tokens.allSatisfy { $0 <= row.budget && Double($0) >= 0.75 * Double(row.budget) })
            } else {
                #expect(expected.tokens.allSatisfy { $0 == 320 })
            }
        }
        // Native reads 320 tokens, above the dense limit of 64: skipped, saying why.
        #expect(rows[5].skipped == ScalingBenchmark.Skip(tokens: 320, limit: 64) && rows[5].photos == 0)
        #expect(rows[3].skipped == nil)
    }

    @Test func denseRunsWhereThePhotosReadAreSmallEnough() throws {
        let (folder, dataset) = try Self.folder()
        defer { folder.remove() }
        // A budget of 1024 above the dense limit: without upscaling the photos are read at
        // their own 320 tokens, so dense runs; upscaled to the budget, it is skipped.
        let own = ScalingBenchmark(classifier: Self.classifier(), budgets: [1024], allowsUpscaling: false,
                                   denseMaxTokens: 400).run(dataset: dataset, samples: dataset.samples)
        #expect(own.map(\.meanTokens) == [320, 320] && own[1].skipped == nil)
        let upscaled = ScalingBenchmark(classifier: Self.classifier(), budgets: [1024], allowsUpscaling: true,
                                        denseMaxTokens: 400).run(dataset: dataset, samples: dataset.samples)
        #expect((upscaled[0].meanTokens ?? 0) > 900 && upscaled[1].skipped?.limit == 400)
    }

    @Test func unreadablePhotosAreReportedAndNotCounted() throws {
        let (folder, _) = try Self.folder()
        defer { folder.remove() }
        try folder.write(Array("not a photo".utf8), to: "b/broken.jpg")
        let dataset = try ImageFolderDataset(root: folder.root)
        var failures: [ImageDecodingError] = []
        let rows = ScalingBenchmark(classifier: Self.classifier(), budgets: [16], denseMaxTokens: 64)
            .run(dataset: dataset, samples: dataset.samples, failed: { failures.append($0) })
        #expect(rows.map(\.photos) == [6, 6])
        #expect(failures.count == 2 && failures.allSatisfy { $0.file?.hasSuffix("b/broken.jpg") == true })
    }

    @Test func peakResidentMemoryResetsToTheCurrentSet() throws {
        #if os(Linux)
        // Touch 256 MB, free it, reset: the peak falls back by most of it (a wrong command
        // such as "4", which clears soft-dirty bits, succeeds but leaves the peak alone).
        // Other tests run alongside, so only a fall of half the block is required.
        let before = try #require(PeakResidentMemory.highWaterMarkBytes())
        do {
            let block = UnsafeMutableRawPointer.allocate(byteCount: 256 << 20, alignment: 64)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: 256 << 20)
            block.deallocate()
        }
        let raised = try #require(PeakResidentMemory.highWaterMarkBytes())
        #expect(raised >= before + (250 << 20))
        #expect(PeakResidentMemory.reset())
        #expect(try #require(PeakResidentMemory.highWaterMarkBytes()) < raised - (128 << 20))
        #endif
    }
}

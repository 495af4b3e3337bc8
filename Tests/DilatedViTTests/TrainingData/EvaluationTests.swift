import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ConfusionMatrixTests {
    @Test func countsAccuracyRecallAndPrecision() {
        var matrix = ConfusionMatrix(classCount: 3)
        // truth 0: 3× right, 1× as 1; truth 1: 2× right; truth 2: 1× as 0. Nothing predicted 2.
        for (truth, predicted) in [(0, 0), (0, 0), (0, 0), (0, 1), (1, 1), (1, 1), (2, 0)] {
            matrix.record(truth: truth, predicted: predicted)
        }
        #expect(matrix.total == 7 && matrix.correct == 5)
        #expect(abs(matrix.accuracy - 5.0 / 7) < 1e-12)
        #expect(matrix[0, 1] == 1 && matrix[2, 0] == 1 && matrix[2, 2] == 0)
        #expect(matrix.recall(of: 0) == 0.75 && matrix.recall(of: 1) == 1 && matrix.recall(of: 2) == 0)
        #expect(matrix.precision(of: 0) == 0.75 && matrix.precision(of: 1) == 2.0 / 3 && matrix.precision(of: 2) == nil)
        #expect(matrix.support(of: 0) == 4 && matrix.predictions(of: 0) == 4)

        var other = ConfusionMatrix(classCount: 3)
        other.record(truth: 2, logits: [0.1, -1, 3])
        matrix.merge(other)
        #expect(matrix[2, 2] == 1 && matrix.total == 8)
        #expect(ConfusionMatrix(classCount: 2).accuracy == 0)
    }

    @Test func argmaxTakesTheFirstOfTiesAndIgnoresNaN() {
        #expect(ConfusionMatrix.argmax([1, 3, 3, 2]) == 1)
        #expect(ConfusionMatrix.argmax([.nan, -5, 1]) == 2)
        #expect(ConfusionMatrix.argmax([-1]) == 0)
    }

    @Test func rendersATable() {
        var matrix = ConfusionMatrix(classCount: 2)
        matrix.record(truth: 0, predicted: 0)
        matrix.record(truth: 1, predicted: 0)
        let table = matrix.table(labels: ["buildings", "sea"])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].contains("buildings") && lines[0].hasSuffix("recall"))
        #expect(lines[1].hasPrefix("buildings") && lines[1].hasSuffix("100.0%"))
        #expect(lines[2].hasPrefix("sea") && lines[2].hasSuffix("0.0%"))
        #expect(lines[3].hasPrefix("precision") && lines[3].contains("50.0%") && lines[3].hasSuffix("–"))
        #expect(lines[4] == "accuracy 50.00% (1 of 2)")
    }

    @Test func evaluatesBatches() throws {
        let (folder, assembler) = try PrefetchingBatchLoaderTests.setUp(augmentation: nil)
        defer { folder.remove() }
        let plans = BatchPlan.sequential(sampleCount: assembler.samples.count, batchSize: 5, rows: 3, columns: 3)
        let matrix = ConfusionMatrix(classCount: 3, evaluating: PrefetchingBatchLoader(plans: plans, assembler: assembler)) { batch in
            batch.grids.map { grid in
                var logits: [Float] = [0, 0, 0]
                logits[SyntheticImageFolder.label(ofGridWithDefaultNormalisation: grid)] = 1
                return logits
            }
        }
        #expect(matrix.total == 24 && matrix.accuracy == 1)
    }
}

@Suite struct ResolutionSweepTests {
    @Test func resolutionKeepsTheAspectInWholePatches() {
        let square = ResolutionSweep.resolution(width: 150, height: 150, shortSide: 96, patchSize: 8)
        #expect(square.rows == 12 && square.columns == 12)
        let upscaled = ResolutionSweep.resolution(width: 150, height: 150, shortSide: 600, patchSize: 8)
        #expect(upscaled.rows == 75 && upscaled.columns == 75)
        let portrait = ResolutionSweep.resolution(width: 100, height: 150, shortSide: 100, patchSize: 8)
        #expect(portrait.columns == 13 && portrait.rows == 20)  // round(12.5) = 13; 13·1.5 = 19.5 → 20
        let landscape = ResolutionSweep.resolution(width: 300, height: 100, shortSide: 12, patchSize: 8)
        #expect(landscape.rows == 2 && landscape.columns == 6)
        #expect(ResolutionSweep.resolution(width: 10, height: 10, shortSide: 2, patchSize: 8).tokenCount == 1)
    }

    @Test func classifiesEveryPhotoAtEverySize() throws {
        let (folder, assembler) = try PrefetchingBatchLoaderTests.setUp(augmentation: nil)
        defer { folder.remove() }
        let sweep = ResolutionSweep(shortSides: [16, 32, 64], patchSize: 4)
        var shapes: [Int: Set<String>] = [:]
        var progressCalls = 0
        let entries = sweep.run(dataset: assembler.dataset, samples: assembler.samples, store: assembler.store,
                                classify: { grid in
            shapes[grid.rows, default: []].insert("\(grid.columns)×\(grid.rows)")
            var logits: [Float] = [0, 0, 0]
            // Wrong on purpose at the smallest size, for every photo of label 2.
            let label = SyntheticImageFolder.label(ofGridWithDefaultNormalisation: grid)
            logits[grid.rows == 4 && label == 2 ? 0 : label] = 1
            return logits
        }, progress: { done, total in
            progressCalls += 1
            #expect(done == progressCalls && total == 24)
        })
        #expect(entries.map(\.shortSide) == [16, 32, 64])
        #expect(entries.map { $0.confusion.total } == [24, 24, 24])
        #expect(abs(entries[0].accuracy - 17.0 / 24) < 1e-12 && entries[1].accuracy == 1 && entries[2].accuracy == 1)
        // 40×32 photos: short side 32 px → 8 rows of 4 px, 10 columns.
        #expect(shapes[8] == ["10×8"] && shapes[16] == ["20×16"] && shapes[4] == ["5×4"])
        #expect(entries[2].squareResolution.tokenCount == 256)
        let table = ResolutionSweep.table(entries)
        #expect(table.split(separator: "\n").count == 4 && table.contains("70.83%"))
    }

    @Test func aTokenBudgetReadsLargeInputsAsClassifyDoes() throws {
        let (folder, assembler) = try PrefetchingBatchLoaderTests.setUp(augmentation: nil)
        defer { folder.remove() }
        // Budget 80 tokens of 4 px: the 16-px input (5×4 = 20 tokens) is read whole, the
        // 64-px one (20×16 = 320) scaled down to 10×8, never up.
        let sweep = ResolutionSweep(shortSides: [16, 64], patchSize: 4, maxTokens: 80)
        var shapes: Set<String> = []
        let entries = sweep.run(dataset: assembler.dataset, samples: assembler.samples, store: assembler.store,
                                classify: { grid in
            shapes.insert("\(grid.columns)×\(grid.rows)")
            return [0, 0, 0]
        })
        #expect(shapes == ["5×4", "10×8"])
        #expect(entries.map(\.squareResolution.tokenCount) == [16, 64])  // a square fits 8×8 in 80
    }
}

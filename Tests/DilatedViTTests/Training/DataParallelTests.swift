import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTraining

/// Data-parallel training without MPI: N ranks as N threads of this process, summing
/// through shared memory (`ThreadRanks`), run the very trainer code `dvit-mpi` runs. The
/// MPI package's tests run the same under mpirun.
@Suite(.serialized) struct DataParallelTests {
    private static let labels = ["a", "b", "c"]

    private func tinyConfig() throws -> ModelConfig {
        try ModelConfig(dimension: 16, depth: 1, heads: 2, patchSize: 4, mlpRatio: 2,
                        levels: [AttentionLevel(segment: 2, dilation: 1), AttentionLevel(segment: 4, dilation: 2)],
                        labels: Self.labels)
    }

    private func recipe() -> TrainingRecipe {
        TrainingRecipe(epochs: 2, batchSize: 8, learningRate: 3e-3, warmupEpochs: 0.5, seed: 5,
                       gridSides: [3, 4], validationGridSide: 4, validationFraction: 0.25)
    }

    private func temporaryRun() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dvit-run-\(UUID().uuidString)")
    }

    /// Trains on `ranks` threads; rank r writes to `outputs[r]` (only rank 0 may write at all).
    /// `stopAfterFirstEpoch` ends every rank's run after epoch 1, as an interruption would.
    private func train(ranks: Int, data: String, outputs: [URL], resume: Bool = false,
                       stopAfterFirstEpoch: Bool = false) throws {
        let groups = ThreadRanks.make(ranks)
        let failures = FailureList()
        let (config, recipe) = (try tinyConfig(), recipe())
        #expect(ThreadRanks.onThreads(ranks) { rank in
            do {
                let trainer = try Trainer(dataRoot: data, output: outputs[rank], config: config, recipe: recipe,
                                          resume: resume, loaderThreads: 0, group: groups[rank])
                do {
                    try trainer.run { event in
                        if stopAfterFirstEpoch, case .epochFinished = event { throw StopHere() }
                    }
                } catch is StopHere {}
            } catch {
                failures.add("rank \(rank): \(error)")
            }
        }, "ranks hung")
        try #require(failures.all.isEmpty, "\(failures.all)")
    }

    private func relativeDifference(_ a: URL, _ b: URL) throws -> Double {
        let (_, x) = try TrainingCheckpoint(directory: a).loadModel()
        let (_, y) = try TrainingCheckpoint(directory: b).loadModel()
        var difference = 0.0, norm = 0.0
        for (p, q) in zip(x.values, y.values) {
            difference += Double(p - q) * Double(p - q)
            norm += Double(p) * Double(p)
        }
        return (difference / norm).squareRoot()
    }

    @Test(arguments: [2, 3])
    func ranksFollowTheOneProcessRunAndOnlyRankZeroWrites(ranks: Int) throws {
        let folder = try SyntheticImageFolder(counts: ["a": 12, "b": 11, "c": 12])
        defer { folder.remove() }
        let alone = temporaryRun(), together = temporaryRun(), others = (1..<ranks).map { _ in temporaryRun() }
        defer { for url in [alone, together] + others { try? FileManager.default.removeItem(at: url) } }
        try train(ranks: 1, data: folder.root, outputs: [alone])
        try train(ranks: ranks, data: folder.root, outputs: [together] + others)

        #expect(others.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) }, "a rank other than 0 wrote")
        let a = try TrainingCheckpoint(directory: alone).loadState().history
        let b = try TrainingCheckpoint(directory: together).loadState().history
        #expect(a.count == 2 && b.count == 2)
        for (x, y) in zip(a, b) {
            #expect(abs(x.trainingLoss - y.trainingLoss) <= 1e-5 * x.trainingLoss)
            #expect(x.trainingAccuracy == y.trainingAccuracy && x.validationAccuracy == y.validationAccuracy)
        }
        // Measured: 2–4e-8 after 8 steps (float rounding: the ranks sum their photos in another order).
        #expect(try relativeDifference(alone, together) <= 1e-5)
    }

    /// A run interrupted after its first epoch with 2 ranks resumes with 3, and with 1,
    /// and ends where the uninterrupted one-process run does.
    @Test(arguments: [1, 3])
    func aRunResumesWithAnotherRankCount(resumingRanks: Int) throws {
        let folder = try SyntheticImageFolder(counts: ["a": 12, "b": 12, "c": 12])
        defer { folder.remove() }
        let straight = temporaryRun(), resumed = temporaryRun()
        defer { for url in [straight, resumed] { try? FileManager.default.removeItem(at: url) } }
        try train(ranks: 1, data: folder.root, outputs: [straight])
        try train(ranks: 2, data: folder.root, outputs: [resumed, resumed], stopAfterFirstEpoch: true)
        #expect(try TrainingCheckpoint(directory: resumed).loadState().epochsCompleted == 1)
        try train(ranks: resumingRanks, data: folder.root, outputs: Array(repeating: resumed, count: resumingRanks),
                  resume: true)
        #expect(try TrainingCheckpoint(directory: resumed).loadState().history.map(\.epoch) == [1, 2])
        #expect(try relativeDifference(straight, resumed) <= 1e-5)
    }

    /// The data-parallel step's gradients, on 2 and 3 ranks, equal one process's within
    /// 1e-6 relative, including a rank with no photo.
    @Test(arguments: [2, 3])
    func gradientsOfSharesSumToTheWholeBatch(ranks: Int) throws {
        let config = try tinyConfig()
        var random = SplitMix64(seed: 9)
        let images = 5, rows = 4, columns = 3
        let grids = (0..<images).map { _ in
            PatchGrid(rows: rows, columns: columns, patchSize: 4,
                      values: (0..<(rows * columns * config.patchFeatures)).map { _ in Float(random.uniform(-1...1)) })
        }
        let labels = (0..<images).map { $0 % 3 }
        let weights = ModelWeights(trainingInitFor: config, seed: 2)
        let alone = TrainingModel(config: config, weights: weights, labelSmoothing: 0.1)
        alone.zeroGradients()
        alone.step(batch: TrainingBatch(grids: grids, labels: labels))

        let groups = ThreadRanks.make(ranks)
        nonisolated(unsafe) let models = (0..<ranks).map { _ in TrainingModel(config: config, weights: weights, labelSmoothing: 0.1) }
        let results = ResultList<[Float]>(count: ranks)
        let finished = ThreadRanks.onThreads(ranks) { r in
            let part = groups[r].share(of: images)
            let share = part.isEmpty ? nil : TrainingBatch(grids: Array(grids[part]), labels: Array(labels[part]))
            models[r].step(share: share, in: groups[r])
            results.set(r, models[r].gradients)
        }
        try #require(finished, "ranks hung")
        for gradient in results.all {
            var difference = 0.0, norm = 0.0
            for (p, q) in zip(alone.gradients, gradient) {
                difference += Double(p - q) * Double(p - q)
                norm += Double(p) * Double(p)
            }
            #expect((difference / norm).squareRoot() <= 1e-6)
            #expect(gradient == results.all[0], "every rank holds the same sum")
        }
    }
}

private struct StopHere: Error {}

private final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String] = []
    func add(_ failure: String) { lock.withLock { failures.append(failure) } }
    var all: [String] { lock.withLock { failures } }
}

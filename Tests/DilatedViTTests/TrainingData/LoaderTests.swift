import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct PrefetchingBatchLoaderTests {
    static func setUp(counts: [String: Int] = ["a": 9, "b": 8, "c": 7], caches: Bool = false,
                      log: WarningLog = WarningLog(), augmentation: TrainingAugmentation? = TrainingAugmentation())
        throws -> (SyntheticImageFolder, BatchAssembler) {
        let folder = try SyntheticImageFolder(counts: counts)
        let dataset = try ImageFolderDataset(root: folder.root)
        let store = ImageStore(cachesDecodedImages: caches, warning: log.sink)
        let assembler = BatchAssembler(dataset: dataset, samples: dataset.samples, store: store,
                                       patchSize: 4, augmentation: augmentation)
        return (folder, assembler)
    }

    @Test(arguments: [0, 1, 2, 3])
    func deliversEveryBatchInOrderAsTheSynchronousAssemblerBuildsIt(threads: Int) throws {
        let (folder, assembler) = try Self.setUp()
        defer { folder.remove() }
        let sampler = MultiResolutionBatchSampler(sampleCount: assembler.samples.count, batchSize: 5,
                                                  gridSides: [2, 3, 4, 6], seed: 17)
        let plans = sampler.batches(epoch: 1)
        let batches = Array(PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: threads,
                                                   prefetchedBatches: 2))
        #expect(batches.map(\.index) == plans.map(\.index))
        for (batch, plan) in zip(batches, plans) {
            let expected = assembler.batch(plan)
            #expect(batch.samples == plan.samples && batch.labels == expected.labels)
            #expect(batch.grids == expected.grids, "batch \(plan.index)")
            #expect(batch.grids.allSatisfy { $0.rows == plan.rows && $0.columns == plan.columns && $0.patchSize == 4 })
            #expect(batch.labels == plan.samples.map { assembler.samples[$0].label })
        }
    }

    @Test func brokenPhotosAreSkippedWithOneWarningAndCounted() throws {
        let log = WarningLog()
        let (folder, _) = try Self.setUp(counts: ["a": 4, "b": 4])
        defer { folder.remove() }
        let jpeg = try ImageEncoder.jpeg(SyntheticImageFolder.image(label: 0, index: 0, width: 40, height: 32))
        try folder.write(Array(jpeg.prefix(jpeg.count / 2)), to: "a/truncated.jpg")
        try folder.write(Array("not an image".utf8), to: "b/text.png")
        let dataset = try ImageFolderDataset(root: folder.root)
        let store = ImageStore(cachesDecodedImages: true, warning: log.sink)
        let assembler = BatchAssembler(dataset: dataset, samples: dataset.samples, store: store, patchSize: 4,
                                       augmentation: nil)
        let plans = BatchPlan.sequential(sampleCount: 10, batchSize: 3, rows: 4, columns: 4)
        for _ in 0..<2 {  // a second epoch must not warn again
            let batches = Array(PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: 2))
            #expect(batches.reduce(0) { $0 + $1.count } == 8)
            #expect(!batches.flatMap(\.samples).contains { dataset.samples[$0].path.contains("truncated") })
        }
        #expect(store.brokenFiles == [folder.root + "/a/truncated.jpg", folder.root + "/b/text.png"])
        #expect(store.brokenFileCount == 2)
        #expect(log.lines.count == 2)
        #expect(log.lines.allSatisfy { $0.hasPrefix("warning: ") })
        #expect(log.lines.contains { $0.contains("a/truncated.jpg") && $0.contains("truncated") })
        #expect(store.cachedImageCount == 8)
    }

    @Test func aBatchOfOnlyBrokenPhotosIsSkipped() throws {
        let log = WarningLog()
        let folder = try SyntheticImageFolder(counts: ["a": 2])
        defer { folder.remove() }
        try folder.write([0xFF, 0xD8, 0xFF], to: "a/x-broken1.jpg")
        try folder.write([0xFF, 0xD8, 0xFF], to: "a/x-broken2.jpg")
        let dataset = try ImageFolderDataset(root: folder.root)
        let assembler = BatchAssembler(dataset: dataset, samples: dataset.samples,
                                       store: ImageStore(warning: log.sink), patchSize: 4, augmentation: nil)
        let plans = BatchPlan.sequential(sampleCount: 4, batchSize: 2, rows: 2, columns: 2)
        let batches = Array(PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: 1))
        #expect(batches.map(\.index) == [0] && batches[0].count == 2 && log.lines.count == 2)
    }

    @Test func cachedImagesGiveTheSameBatches() throws {
        let (folder, assembler) = try Self.setUp(caches: true)
        defer { folder.remove() }
        let plans = MultiResolutionBatchSampler(sampleCount: 24, batchSize: 6, gridSides: [3, 5], seed: 2).batches(epoch: 0)
        let first = Array(PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: 2))
        #expect(assembler.store.cachedImageCount == 24)
        #expect(assembler.store.cachedByteCount == 24 * 40 * 32 * 3)
        let second = Array(PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: 2))
        #expect(first.map(\.grids) == second.map(\.grids))
    }

    @Test func stopsEarlyWithoutHanging() throws {
        let (folder, assembler) = try Self.setUp()
        defer { folder.remove() }
        let plans = BatchPlan.sequential(sampleCount: 24, batchSize: 2, rows: 8, columns: 8)
        let loader = PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: 2, prefetchedBatches: 2)
        #expect(loader.next()?.index == 0)
        loader.cancel()
        #expect(loader.next() == nil)
        // Dropping a loader mid-epoch stops its threads as well.
        for _ in 0..<3 { _ = PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: 2).next() }
        #expect(loader.waitingSeconds >= 0)
    }

    @Test func largeJPEGsAreDecodedReducedDownToTheMinimumShortSide() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 1])
        defer { folder.remove() }
        try folder.write(try ImageEncoder.jpeg(SyntheticImageFolder.image(label: 0, index: 0, width: 200, height: 160)),
                         to: "a/large.jpg")
        try folder.write(try ImageEncoder.png(SyntheticImageFolder.image(label: 0, index: 0, width: 200, height: 160)),
                         to: "a/large.png")
        let store = ImageStore(minimumShortSide: 40)
        // ⌈160/4⌉ = 40 is enough; ⌈160/8⌉ = 20 is not. PNG has no reduced decode.
        let jpeg = try #require(store.image(atPath: folder.root + "/a/large.jpg"))
        #expect(jpeg.width == 50 && jpeg.height == 40)
        let png = try #require(store.image(atPath: folder.root + "/a/large.png"))
        #expect(png.width == 200 && png.height == 160)
        let small = try #require(store.image(atPath: folder.root + "/a/000.jpg"))  // 40×32: full size
        #expect(small.width == 40 && small.height == 32)
        #expect(ImageStore().image(atPath: folder.root + "/a/large.jpg")?.width == 200)
    }
}

@Suite struct TrainingDataPipelineTests {
    @Test func wiresSplitLoadersAndConfig() throws {
        let folder = try SyntheticImageFolder(counts: ["a": 10, "b": 10, "c": 10])
        defer { folder.remove() }
        let config = tinyConfig(patchSize: 4, labels: ["a", "b", "c"])
        let data = try TrainingDataPipeline(root: folder.root, config: config, batchSize: 4, gridSides: [2, 3],
                                            seed: 9, validationFraction: 0.2, cachesDecodedImages: true,
                                            loaderThreads: 2)
        #expect(data.split.validationCountsPerLabel == [2, 2, 2])
        let epoch = Array(data.trainingBatches(epoch: 0))
        #expect(epoch.count == 6 && epoch.reduce(0) { $0 + $1.count } == 24)
        #expect(epoch.allSatisfy { [2, 3].contains($0.rows) && $0.grids.allSatisfy { $0.patchSize == 4 } })
        let validation = Array(data.validationBatches(gridSide: 5))
        #expect(validation.flatMap(\.labels) == [0, 0, 1, 1, 2, 2])
        #expect(validation.allSatisfy { $0.rows == 5 && $0.columns == 5 })
        #expect(data.store.cachedImageCount == 30)

        let wrong = tinyConfig(patchSize: 4, labels: ["a", "b", "d"])
        #expect(throws: DatasetError.labelMismatch(model: ["a", "b", "d"], dataset: ["a", "b", "c"])) {
            try TrainingDataPipeline(root: folder.root, config: wrong, batchSize: 4, gridSides: [2], seed: 0)
        }
    }
}

import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct BatchSamplerTests {
    static let sides = [8, 10, 12, 14, 16, 20, 24]

    @Test func everyEpochCoversEachSampleOnceInBatchesSharingAGrid() {
        let sampler = MultiResolutionBatchSampler(sampleCount: 103, batchSize: 10, gridSides: Self.sides, seed: 5)
        #expect(sampler.batchesPerEpoch == 11)
        for epoch in 0..<3 {
            let batches = sampler.batches(epoch: epoch)
            #expect(batches.map(\.index) == Array(0..<11))
            #expect(batches.dropLast().allSatisfy { $0.samples.count == 10 } && batches.last!.samples.count == 3)
            #expect(batches.flatMap(\.samples).sorted() == Array(0..<103))
            #expect(batches.allSatisfy { Self.sides.contains($0.rows) && $0.rows == $0.columns })
            #expect(batches.allSatisfy { $0.seeds.count == $0.samples.count })
        }
        // Eleven batches over seven sides: several sides occur.
        #expect(Set(sampler.batches(epoch: 0).map(\.rows)).count >= 4)
    }

    /// Token-balanced batches: photos per batch = budget / tokens per photo, every sample
    /// once per epoch.
    @Test func tokenBalancedBatchesHoldAboutTheBudget() {
        let sampler = MultiResolutionBatchSampler(sampleCount: 500, batchSize: 10, gridSides: [8, 16, 32],
                                                  tokensPerBatch: 2048, seed: 3)
        let batches = sampler.batches(epoch: 1)
        #expect(batches.flatMap(\.samples).sorted() == Array(0..<500))
        for batch in batches.dropLast() { #expect(batch.samples.count == 2048 / (batch.rows * batch.columns)) }
        #expect(Set(batches.map(\.rows)) == [8, 16, 32])
        #expect(sampler.batchesPerEpoch == sampler.batches(epoch: 0).count)
    }

    @Test func isDeterministicPerSeedAndEpoch() {
        let sampler = MultiResolutionBatchSampler(sampleCount: 50, batchSize: 8, gridSides: Self.sides, seed: 5)
        #expect(sampler.batches(epoch: 2) == sampler.batches(epoch: 2))
        #expect(sampler.batches(epoch: 2) != sampler.batches(epoch: 3))
        var reseeded = sampler
        reseeded.seed = 6
        #expect(reseeded.batches(epoch: 2).map(\.samples) != sampler.batches(epoch: 2).map(\.samples))
        let seeds = Set(sampler.batches(epoch: 0).flatMap(\.seeds))
        #expect(seeds.count == 50)
    }

    @Test func augmentationSeedsDependOnTheSampleNotTheBatchSize() {
        let small = MultiResolutionBatchSampler(sampleCount: 40, batchSize: 4, gridSides: [8], seed: 1)
        var large = small
        large.batchSize = 16
        func seeds(_ s: MultiResolutionBatchSampler) -> [Int: UInt64] {
            Dictionary(uniqueKeysWithValues: s.batches(epoch: 3).flatMap { zip($0.samples, $0.seeds) })
        }
        #expect(seeds(small) == seeds(large))
    }

    @Test func dropsTheLastPartialBatchAndKeepsOrderWhenAsked() {
        let sampler = MultiResolutionBatchSampler(sampleCount: 23, batchSize: 5, gridSides: [12],
                                                  shuffles: false, dropsLastPartialBatch: true, seed: 0)
        let batches = sampler.batches(epoch: 0)
        #expect(batches.count == 4 && batches.flatMap(\.samples) == Array(0..<20))
        let sequential = BatchPlan.sequential(sampleCount: 23, batchSize: 5, rows: 12, columns: 12)
        #expect(sequential.count == 5 && sequential.flatMap(\.samples) == Array(0..<23))
    }

    @Test func aspectRangeGivesNonSquareGridsAroundTheSide() {
        let sampler = MultiResolutionBatchSampler(sampleCount: 400, batchSize: 4, gridSides: [16],
                                                  gridAspect: 0.5...2, seed: 2)
        let grids = sampler.batches(epoch: 0).map { ($0.rows, $0.columns) }
        #expect(grids.contains { $0.0 > $0.1 } && grids.contains { $0.0 < $0.1 })
        // round(16/√a) × round(16·√a) with a in [0.5, 2]: between 11 and 23 per side.
        #expect(grids.allSatisfy { (11...23).contains($0.0) && (11...23).contains($0.1) })
    }
}

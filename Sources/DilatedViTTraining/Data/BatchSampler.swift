import Foundation
import DilatedViT

/// What one batch will hold: which samples, at which grid, with which augmentation seeds.
public struct BatchPlan: Sendable, Equatable {
    /// Position of the batch in its epoch.
    public var index: Int
    /// Patch rows and columns shared by every image of the batch.
    public var rows: Int
    public var columns: Int
    /// Indices into the sample list the sampler was made for.
    public var samples: [Int]
    /// One augmentation seed per sample.
    public var seeds: [UInt64]

    public init(index: Int, rows: Int, columns: Int, samples: [Int], seeds: [UInt64]) {
        precondition(rows > 0 && columns > 0 && samples.count == seeds.count)
        self.index = index
        self.rows = rows
        self.columns = columns
        self.samples = samples
        self.seeds = seeds
    }
}

/// Splits each epoch into batches, each at its own randomly chosen grid size, so that one
/// model is trained across resolutions (a model trained at one size loses accuracy at
/// others: docs/TRAINING.md).
///
/// Every draw derives from `seed` and the epoch number alone: epoch `e` of a run is the
/// same whether or not earlier epochs ran (resuming from a checkpoint reproduces it), and
/// each sample's augmentation seed depends on the epoch and the sample, not on the batch
/// size or thread timing.
public struct MultiResolutionBatchSampler: Sendable, Equatable {
    public var sampleCount: Int
    public var batchSize: Int
    /// Grid sides in patches (e.g. `[8, 10, 12, 14, 16, 20, 24]` at patch 8: 64–192 px);
    /// each batch takes one, uniformly.
    public var gridSides: [Int]
    /// Grid width / height, log-uniform per batch; `1...1` keeps every grid square. A side
    /// `s` and aspect `a` give `round(s·√a)` columns and `round(s/√a)` rows.
    public var gridAspect: ClosedRange<Double>
    /// Off for evaluation: samples in order.
    public var shuffles: Bool
    /// Drop a final batch smaller than `batchSize` (otherwise every sample is seen each epoch).
    public var dropsLastPartialBatch: Bool
    /// Token-balanced batches: when set, a batch at an `r × c` grid holds
    /// `max(1, tokensPerBatch / (r·c))` photos instead of `batchSize`, so a step costs about
    /// the same at every grid size and large grids do not blow up memory.
    public var tokensPerBatch: Int?
    public var seed: UInt64

    public init(sampleCount: Int, batchSize: Int, gridSides: [Int], gridAspect: ClosedRange<Double> = 1...1,
                shuffles: Bool = true, dropsLastPartialBatch: Bool = false, tokensPerBatch: Int? = nil,
                seed: UInt64) {
        precondition(sampleCount >= 0 && batchSize > 0, "batch size must be positive")
        precondition(!gridSides.isEmpty && gridSides.allSatisfy { $0 > 0 }, "grid sides must be positive")
        precondition(gridAspect.lowerBound > 0, "grid aspect must be positive")
        self.sampleCount = sampleCount
        self.batchSize = batchSize
        self.gridSides = gridSides
        self.gridAspect = gridAspect
        self.shuffles = shuffles
        self.dropsLastPartialBatch = dropsLastPartialBatch
        precondition(tokensPerBatch.map { $0 > 0 } ?? true, "tokens per batch must be positive")
        self.tokensPerBatch = tokensPerBatch
        self.seed = seed
    }

    /// Batches in an epoch (token-balanced: in the first epoch; each epoch draws its own grids,
    /// so others differ, by up to a tenth with grids of 16–128 patches a side).
    public var batchesPerEpoch: Int {
        guard tokensPerBatch == nil else { return batches(epoch: 0).count }
        return dropsLastPartialBatch ? sampleCount / batchSize : (sampleCount + batchSize - 1) / batchSize
    }

    /// Batches in the first `epochs` epochs: the length of a whole run, which the
    /// learning-rate schedule spans (token-balanced epochs each count their own).
    public func batchCount(epochs: Int) -> Int {
        (0..<epochs).reduce(0) { $0 + batches(epoch: $1).count }
    }

    /// The seed every draw of `epoch` derives from.
    public func epochSeed(_ epoch: Int) -> UInt64 {
        derivedSeed(seed, UInt64(truncatingIfNeeded: epoch))
    }

    public func batches(epoch: Int) -> [BatchPlan] {
        let epochSeed = epochSeed(epoch)
        var order = Array(0..<sampleCount)
        if shuffles {
            var shuffler = SplitMix64(seed: derivedSeed(epochSeed, 0x5348_5546))  // "SHUF"
            shuffler.shuffle(&order)
        }
        var sizes = SplitMix64(seed: derivedSeed(epochSeed, 0x4752_4944))  // "GRID"
        let logAspect = gridAspect.lowerBound == gridAspect.upperBound
            ? 0...0 : log(gridAspect.lowerBound)...log(gridAspect.upperBound)
        var plans: [BatchPlan] = []
        var start = 0
        while start < sampleCount {
            let side = Double(gridSides[sizes.nextIndex(below: gridSides.count)])
            let stretch = exp(sizes.uniform(logAspect)).squareRoot()
            let rows = max(1, Int((side / stretch).rounded())), columns = max(1, Int((side * stretch).rounded()))
            let size = tokensPerBatch.map { max(1, $0 / (rows * columns)) } ?? batchSize
            if dropsLastPartialBatch && start + size > sampleCount { break }
            let members = Array(order[start..<min(sampleCount, start + size)])
            plans.append(BatchPlan(index: plans.count, rows: rows, columns: columns, samples: members,
                                   seeds: members.map { derivedSeed(epochSeed, UInt64($0)) }))
            start += size
        }
        return plans
    }
}

extension BatchPlan {
    /// Plans for going through `sampleCount` samples in order at one fixed grid (evaluation).
    public static func sequential(sampleCount: Int, batchSize: Int, rows: Int, columns: Int) -> [BatchPlan] {
        precondition(batchSize > 0)
        return stride(from: 0, to: sampleCount, by: batchSize).enumerated().map { b, start in
            let members = Array(start..<min(sampleCount, start + batchSize))
            return BatchPlan(index: b, rows: rows, columns: columns, samples: members,
                             seeds: [UInt64](repeating: 0, count: members.count))
        }
    }
}

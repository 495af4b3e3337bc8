import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ForwardBenchmarkTests {
    @Test func gridShapesAreNearlySquare() {
        #expect(ForwardBenchmark.gridShape(forTokens: 256) == (16, 16))
        #expect(ForwardBenchmark.gridShape(forTokens: 2048) == (32, 64))
        #expect(ForwardBenchmark.gridShape(forTokens: 1) == (1, 1))
        #expect(ForwardBenchmark.gridShape(forTokens: 101) == (10, 11))
    }

    @Test func measuresAForwardPass() {
        let benchmark = ForwardBenchmark(config: tinyConfig(), seed: 1)
        let measurement = benchmark.measure(tokens: 64, attention: .dilated)
        #expect(measurement.tokens == 64 && measurement.rows == 8 && measurement.columns == 8)
        #expect(measurement.milliseconds > 0)
        #expect((measurement.peakResidentMegabytes ?? 1) > 0)
        #expect(ForwardBenchmark.standardConfig().dimension == 192)
    }

    @Test(arguments: [(7, 13), (33, 33), (1, 40), (16, 16), (2, 3)])
    func attendedPairsCountEveryWindowsKeys(size: (Int, Int)) {
        let config = ForwardBenchmark.standardConfig()
        var expected = 0
        let tokens = UnsafeMutablePointer<Int>.allocate(capacity: 1024)
        defer { tokens.deallocate() }
        for level in config.levels {
            for head in 0..<config.heads {
                let windows = DilatedWindows(level: level, head: head, gridRows: size.0, gridColumns: size.1)
                for index in 0..<windows.count {
                    let count = windows.tokens(ofWindow: index, gridColumns: size.1, into: tokens)
                    expected += count * count
                }
            }
        }
        #expect(config.architecture.attendedPairs(rows: size.0, columns: size.1, mode: .dilated) == Double(expected))
        let n = Double(size.0 * size.1)
        #expect(config.architecture.attendedPairs(rows: size.0, columns: size.1, mode: .dense) == 6 * n * n)
    }

    @Test func forwardFLOPsOfTheStandardModel() {
        // 16×16 grid. Pairs per head: level (4,1) 16 windows of 16 → 4096; (8,2) a 8×8
        // sub-lattice in 4 windows of 16 → 1024; (16,4) one window of 16 → 256; (32,8) one
        // window of 4 → 16. Six heads: 6 · 5392 = 32352.
        let config = ForwardBenchmark.standardConfig()
        let n = 256.0, d = 192.0
        let perBlock = 24 * d * d * n + 4 * 32 * 32352
        let expected = 2 * n * 192 * d + 6 * perBlock
        #expect(config.architecture.forwardFLOPs(rows: 16, columns: 16, attention: .dilated) == expected)

        // The hMLP stem at p = 8, D = 192: 2×2 blocks 12 → 48 at 16 positions, 192 → 48 at 4,
        // 192 → 192 at 1 — 82,944 multiply-adds per token instead of 192·192.
        let stem = ForwardBenchmark.standardConfig(patchEmbedding: .hierarchicalMLP)
        #expect(stem.architecture.forwardFLOPs(rows: 16, columns: 16, attention: .dilated) - expected == 2 * n * (82_944 - 192 * d))

        // A coarse view of 256 tokens: nothing at 16×16; a 40×20 grid adds its 23×11 view's pass.
        var viewed = config
        viewed.coarseViewTokens = 256
        #expect(viewed.architecture.forwardFLOPs(rows: 16, columns: 16, attention: .dilated) == expected)
        #expect(viewed.architecture.forwardFLOPs(rows: 40, columns: 20, attention: .dilated)
                == config.architecture.forwardFLOPs(rows: 40, columns: 20, attention: .dilated)
                + config.architecture.forwardFLOPs(rows: 23, columns: 11, attention: .dilated))
    }

    /// Model v2's levels reach across the grid, yet inference keeps v1's bands: the levels
    /// wider than a band live on their sub-lattices (`SpanningLevels`), a few percent more.
    @Test func version2ForwardMemoryStaysNearVersion1AtAMillionTokens() {
        func bytes(_ version: ForwardBenchmark.ModelVersion) -> Int {
            let config = ForwardBenchmark.standardConfig(version: version)
            return DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 1))
                .estimatedForwardBytes(rows: 1024, columns: 1024)
        }
        let v1 = bytes(.v1), v2 = bytes(.v2)
        #expect(v2 > v1 && Double(v2) < 1.05 * Double(v1), "v1 \(v1) bytes, v2 \(v2) bytes")
    }
}

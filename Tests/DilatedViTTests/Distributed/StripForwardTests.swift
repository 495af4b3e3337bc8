import Foundation
import Testing
@testable import DilatedViT

/// A grid read sequence-parallel by 1–4 ranks (threads of this process, `ThreadRanks`)
/// gives every rank the logits of the whole grid read by one process.
@Suite(.serialized) struct StripForwardTests {
    /// Model v1 (levels fixed, 24-row tiles) and v2 (the level rule adds lattice levels up to
    /// the grid; attention pooling, normalised position code).
    static func model(version2: Bool) -> (DilatedViTModel, ModelConfig) {
        var config = tinyConfig(dimension: 24, heads: 3, levels: .pairs((3, 1), (4, 2), (8, 4)))
        if version2 {
            config = tinyConfig(dimension: 24, heads: 3, levels: .pairs((2, 1), (4, 2)))
            config.levelRule = .toGrid
            config.positionCode = .sinCos2DNormalised
            config.pooling = .attention
        }
        // Small bands and token blocks: each strip streams through several of both.
        return (DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 71),
                                tokenBlockLength: 7, attentionBandTokens: 8), config)
    }

    /// Each rank's logits for its strip of `grid`, and the bytes it sent.
    static func readByRanks(_ model: DilatedViTModel, _ grid: PatchGrid, ranks: Int) -> [StripLogits] {
        let strips = GridStrips(gridRows: grid.rows, gridColumns: grid.columns, ranks: ranks)
        let groups = ThreadRanks.make(ranks)
        let results = ResultList<StripLogits>(count: ranks)
        let finished = ThreadRanks.onThreads(ranks) { rank in
            results.set(rank, model.logits(forStrip: grid.rows(strips.rows(of: rank)), of: strips, in: groups[rank]))
        }
        precondition(finished, "the ranks hung")
        return results.all
    }

    // Odd heights, strips thinner than a tile (4 and 24 rows), N×1 and 2×N strips.
    @Test(arguments: [false, true], [(13, 7), (9, 1), (2, 15), (29, 6), (40, 11)])
    func everyRankGetsTheWholeGridsLogits(version2: Bool, size: (Int, Int)) {
        let (model, config) = Self.model(version2: version2)
        let grid = ModelTests.grid(rows: size.0, columns: size.1, patchSize: config.patchSize, seed: 72)
        let expected = model.logits(for: grid)
        for ranks in 1...min(4, size.0) {
            let results = Self.readByRanks(model, grid, ranks: ranks)
            for (rank, result) in results.enumerated() {
                #expect(maxAbsDifference(result.logits, expected) < 1e-5, "\(ranks) ranks, rank \(rank), \(size)")
            }
            if ranks == 1 { #expect(results[0].bytesSent == 0) }
        }
    }

    /// A v2 model with a coarse view (MODEL.md §9.4): the ranks sum their parts of the view's
    /// pixels and one of them reads it, for the same logits as one process (a 40×1 strip too).
    @Test(arguments: [(13, 7), (29, 6), (40, 11), (40, 1)])
    func coarseViewOfStripsGivesTheWholeGridsLogits(size: (Int, Int)) {
        var (_, config) = Self.model(version2: true)
        config.coarseViewTokens = 24
        let model = DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: 71),
                                    tokenBlockLength: 7, attentionBandTokens: 8)
        let grid = ModelTests.grid(rows: size.0, columns: size.1, patchSize: config.patchSize, seed: 77)
        let expected = model.logits(for: grid)
        config.coarseViewTokens = 0
        let withoutView = DilatedViTModel(config: config, weights: model.weights).logits(for: grid)
        #expect(maxAbsDifference(withoutView, expected) > 1e-3, "the view changes the logits")
        for ranks in 2...4 {
            for (rank, result) in Self.readByRanks(model, grid, ranks: ranks).enumerated() {
                #expect(maxAbsDifference(result.logits, expected) < 1e-5, "\(ranks) ranks, rank \(rank), \(size)")
            }
        }
    }

    /// What is exchanged: halo rows only where a strip border cuts a tile, and under v2 the
    /// keys and values (`2·dh` floats a point) of lattice rows that share a window with
    /// another rank's, every block.
    @Test func exchangesHaloRowsAndLatticeKeysAndValues() {
        let (v1, config) = Self.model(version2: false)
        let aligned = ModelTests.grid(rows: 48, columns: 3, patchSize: config.patchSize, seed: 73)
        #expect(Self.readByRanks(v1, aligned, ranks: 2).allSatisfy { $0.bytesSent == 0 })  // 24-row tiles
        let cut = Self.readByRanks(v1, ModelTests.grid(rows: 40, columns: 3, patchSize: config.patchSize, seed: 74), ranks: 2)
        // Rank 0 holds rows 0..<20 widened to 0..<24, rank 1 rows 20..<40 widened to 0..<40: per
        // block (2) rank 0 sends all its 20 rows (3 tokens of 24 floats), rank 1 its rows 20..<24.
        #expect(cut[0].haloBytes == 2 * 20 * 3 * 24 * 4 && cut[1].haloBytes == 2 * 4 * 3 * 24 * 4)
        #expect(cut[0].latticeBytes == 0)

        let (v2, config2) = Self.model(version2: true)
        let grid = ModelTests.grid(rows: 16, columns: 16, patchSize: config2.patchSize, seed: 75)
        let results = Self.readByRanks(v2, grid, ranks: 2)
        // 16×16 in two 8-row strips: level 8:4's windows (2 lattice rows = 8 grid rows) stay in
        // one strip, nothing sent; level 16:8's one window row spans both, so each rank sends
        // the other its lattice row: 2 points per head (3), 2·dh = 16 floats each, per block (2).
        #expect(results.allSatisfy { $0.haloBytes == 0 && $0.latticeBytes == 2 * 3 * 2 * 16 * 4 })
    }

    /// Strips of whole tiles share none: logits unchanged, and nothing but lattices exchanged.
    @Test func tileAlignedStripsExchangeNoHalo() {
        let (v2, config) = Self.model(version2: true)  // 4-row tiles
        let grid = ModelTests.grid(rows: 22, columns: 9, patchSize: config.patchSize, seed: 76)
        let expected = v2.logits(for: grid)
        for ranks in 2...4 {
            let strips = GridStrips(gridRows: 22, gridColumns: 9, ranks: ranks,
                                    rowAlignment: v2.stripRowAlignment(rows: 22, columns: 9))
            #expect((0..<ranks).allSatisfy { strips.rows(of: $0).lowerBound % 4 == 0 })
            #expect((0..<ranks).map { strips.rows(of: $0).count }.reduce(0, +) == 22)
            let groups = ThreadRanks.make(ranks)
            let results = ResultList<StripLogits>(count: ranks)
            #expect(ThreadRanks.onThreads(ranks) { rank in
                let strip = grid.rows(strips.rows(of: rank))
                results.set(rank, v2.logits(forStrip: strip, of: strips, in: groups[rank]))
            })
            #expect(results.all.allSatisfy { maxAbsDifference($0.logits, expected) < 1e-5 && $0.haloBytes == 0 })
        }
        // 22 rows are 6 units of 4: 3 ranks take 2 each; 7 ranks would leave one without, so rows.
        #expect(GridStrips(gridRows: 22, gridColumns: 9, ranks: 3, rowAlignment: 4).rows(of: 2) == 16..<22)
        #expect(GridStrips(gridRows: 22, gridColumns: 9, ranks: 7, rowAlignment: 4).rowAlignment == 1)
    }

    @Test func layoutWidensStripsToWholeTiles() {
        let strips = GridStrips(gridRows: 1024, gridColumns: 1024, ranks: 2)
        let even = StripLayout(strips: strips, rank: 1, tileSide: 32)
        #expect(even.own == 512..<1024 && even.local == 512..<1024 && even.sends.isEmpty && even.receives.isEmpty)
        let odd = GridStrips(gridRows: 100, gridColumns: 5, ranks: 3)  // 34, 33, 33 rows
        let middle = StripLayout(strips: odd, rank: 1, tileSide: 32)
        #expect(middle.own == 34..<67 && middle.local == 32..<96)
        #expect(middle.receives.map(\.rank) == [0, 2] && middle.receives.map(\.rows) == [32..<34, 67..<96])
        #expect(middle.sends.map(\.rank) == [0, 2] && middle.sends.map(\.rows) == [34..<64, 64..<67])
    }
}

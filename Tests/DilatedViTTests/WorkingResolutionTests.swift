import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct WorkingResolutionTests {
    @Test func squarePhotoFillsTheBudgetExactly() {
        let r = WorkingResolution(width: 1000, height: 1000, patchSize: 8, maxTokens: 1024)
        #expect(r.rows == 32 && r.columns == 32 && r.width == 256)
    }

    @Test func nativeUsesWholePatchesOnly() {
        let r = WorkingResolution(width: 151, height: 97, patchSize: 16, maxTokens: 0)
        #expect(r.columns == 9 && r.rows == 6)
        let thumb = WorkingResolution(width: 150, height: 150, patchSize: 8, maxTokens: 0)
        #expect(thumb.width == 144 && thumb.height == 144)
    }

    @Test func neverUpscalesUnlessAsked() {
        let r = WorkingResolution(width: 100, height: 60, patchSize: 8, maxTokens: 1_000_000)
        #expect(r.columns == 12 && r.rows == 7)
        let up = WorkingResolution(width: 100, height: 100, patchSize: 8, maxTokens: 1024, allowUpscaling: true)
        #expect(up.columns == 32 && up.rows == 32)
    }

    @Test func extremeStripsSpendTheBudgetOnTheLongSide() {
        let tall = WorkingResolution(width: 1, height: 10_000, patchSize: 8, maxTokens: 1024)
        #expect(tall.columns == 1 && tall.rows == 1024)
        let wide = WorkingResolution(width: 10_000, height: 1, patchSize: 8, maxTokens: 1024)
        #expect(wide.rows == 1 && wide.columns == 1024)
        let tiny = WorkingResolution(width: 3, height: 2, patchSize: 16, maxTokens: 0)
        #expect(tiny.rows == 1 && tiny.columns == 1)
    }

    @Test func budgetSmallerThanOneTokenStillGivesOnePatch() {
        let r = WorkingResolution(width: 500, height: 300, patchSize: 8, maxTokens: 1)
        #expect(r.tokenCount == 1)
    }

    /// Independent check of "largest grid within the budget": sweep the scale finely and
    /// confirm no uniform scale gives a grid that fits and has more tokens, and that the
    /// aspect ratio is kept within rounding when no clamp binds.
    @Test(arguments: [(640, 480), (4272, 2848), (151, 97), (333, 1999), (1, 777), (4000, 17), (150, 150)])
    func choosesTheLargestFittingGrid(size: (Int, Int)) {
        let (w, h) = size
        let p = 8
        for budget in [16, 100, 256, 1000, 1024, 4096] {
            let r = WorkingResolution(width: w, height: h, patchSize: p, maxTokens: budget)
            #expect(r.tokenCount <= budget)
            var bestSweep = 0
            for step in 1...4000 {
                let k = Double(step) / 4000
                let rows = min(max(1, h / p), max(1, Int((Double(h) * k / Double(p)).rounded())))
                let cols = min(max(1, w / p), max(1, Int((Double(w) * k / Double(p)).rounded())))
                if rows * cols <= budget { bestSweep = max(bestSweep, rows * cols) }
            }
            #expect(r.tokenCount >= bestSweep, "\(w)×\(h) budget \(budget): \(r) vs sweep \(bestSweep)")
            if r.rows > 1 && r.columns > 1 && r.rows < h / p && r.columns < w / p {
                // Each side is round(side·k/p) for one k: the aspect error is at most half a patch a side.
                let k = Double(r.columns) / (Double(w) / Double(p))
                #expect(abs(Double(h) * k / Double(p) - Double(r.rows)) <= 0.5 + 0.5 * Double(h) / Double(w) + 1e-9)
            }
        }
    }
}

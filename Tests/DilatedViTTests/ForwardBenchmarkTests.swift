import Testing
@testable import DilatedViT

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
}

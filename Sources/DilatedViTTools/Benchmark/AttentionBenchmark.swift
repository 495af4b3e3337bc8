import DilatedViT

/// Times the attention core alone (no projections) of the reference model's shape on random
/// queries, keys and values, and turns it into a FLOP rate from the exact count of attended
/// (query, key) pairs — the figure to set beside the Linear layers' sgemm rate.
public struct AttentionBenchmark: Sendable {
    public struct Measurement: Sendable {
        public let tokens: Int
        public let rows: Int
        public let columns: Int
        public let bestMilliseconds: Double
        /// `q·kᵀ` and `p·v` multiply-adds (2 FLOPs each) over every attended pair.
        public let flops: Double
        public var gigaflops: Double { flops / (bestMilliseconds / 1000) / 1e9 }
    }

    public let config: ModelConfig

    public init(config: ModelConfig = ForwardBenchmark.standardConfig()) {
        self.config = config
    }

    /// One warm-up call, then the best of `repetitions` timed calls.
    public func measure(tokens: Int, mode: AttentionMode, repetitions: Int = 3) -> Measurement {
        precondition(repetitions > 0)
        let (rows, columns) = ForwardBenchmark.gridShape(forTokens: tokens)
        let count = rows * columns * config.dimension
        var generator = SplitMix64(seed: UInt64(tokens))
        let q = generator.signedValues(count), k = generator.signedValues(count), v = generator.signedValues(count)
        func run() {
            _ = attention(queries: q, keys: k, values: v, rows: rows, columns: columns, heads: config.heads,
                          levels: config.architecture.attentionLevels(rows: rows, columns: columns), mode: mode)
        }
        run()
        let clock = ContinuousClock()
        let best = (0..<repetitions).map { _ in clock.measure(run).inMilliseconds }.min()!
        let pairs = config.architecture.attendedPairs(rows: rows, columns: columns, mode: mode)
        return Measurement(tokens: rows * columns, rows: rows, columns: columns, bestMilliseconds: best,
                           flops: 4 * Double(config.headDimension) * pairs)
    }
}

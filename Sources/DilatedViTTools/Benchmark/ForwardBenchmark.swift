import Foundation
import DilatedViT

/// Times single-image forward passes of a model with random weights.
///
/// Peak memory is the process's high-water mark (`VmHWM` in `/proc/self/status`), which
/// never goes down: measure one token count per process for meaningful peaks.
public struct ForwardBenchmark: Sendable {
    public struct Measurement: Sendable, Codable, CustomStringConvertible {
        public let tokens: Int
        public let rows: Int
        public let columns: Int
        public let attention: String
        /// Mean wall time of one forward pass (features + head).
        public let milliseconds: Double
        /// Fastest of the timed passes: the steadier figure on a shared machine.
        public let bestMilliseconds: Double
        /// Peak resident set of the process so far, if the platform reports it.
        public let peakResidentMegabytes: Double?

        /// Mean time per token.
        public var millisecondsPerToken: Double { milliseconds / Double(tokens) }

        public var description: String {
            let peak = peakResidentMegabytes.map { String(format: "%.0f MB", $0) } ?? "n/a"
            return String(format: "%@ %6d tokens (%d×%d): mean %.1f ms, best %.1f ms, %.4f ms/token (best), peak RSS %@",
                          attention, tokens, rows, columns, milliseconds, bestMilliseconds,
                          bestMilliseconds / Double(tokens), peak)
        }
    }

    public let model: DilatedViTModel

    /// A model for `config` with `ModelWeights(randomFor:seed:)`, its Linear products at `precision`.
    public init(config: ModelConfig, seed: UInt64 = 0, precision: MatmulPrecision = .float32) {
        model = DilatedViTModel(config: config, weights: ModelWeights(randomFor: config, seed: seed),
                                precision: precision)
    }

    /// The reference size for timings: D = 192, 6 blocks, 6 heads, 8-pixel patches, MLP ×4,
    /// levels (4,1) (8,2) (16,4) (32,8) — every level a 4×4 window, 6 classes; the linear
    /// patch embedding unless told otherwise. v2 has no coarse view (the shipped `weights-v2`
    /// has one): `reference/bench_torch.py` and the ONNX anchors build this same config, and
    /// above 256 tokens the view would only add one 256-token pass.
    public static func standardConfig(patchEmbedding: PatchEmbedding = .linear, version: ModelVersion = .v1) -> ModelConfig {
        // Constant, valid values (patch 8 suits both embeddings).
        let v2 = version == .v2
        return try! ModelConfig(
            dimension: 192, depth: 6, heads: 6, patchSize: 8, patchEmbedding: patchEmbedding, mlpRatio: 4,
            levels: [.init(segment: 4, dilation: 1), .init(segment: 8, dilation: 2),
                     .init(segment: 16, dilation: 4), .init(segment: 32, dilation: 8)],
            levelRule: v2 ? .toGrid : .fixed, positionCode: v2 ? .sinCos2DNormalised : .sinCos2D,
            pooling: v2 ? .attention : .mean, labels: ["buildings", "forest", "glacier", "mountain", "sea", "street"])
    }

    /// Which model's options a benchmark's standard config takes (MODEL.md §9).
    public enum ModelVersion: String, Sendable, CaseIterable {
        case v1, v2
    }

    /// The most nearly square grid of exactly `tokens` tokens (256 → 16×16, 2048 → 32×64);
    /// when that would be thinner than 1:4 (e.g. a prime count), `⌊√n⌋ × ⌈n/⌊√n⌋⌉`,
    /// which may hold a few more tokens.
    public static func gridShape(forTokens tokens: Int) -> (rows: Int, columns: Int) {
        precondition(tokens > 0)
        let root = Int(Double(tokens).squareRoot())
        let divisor = (1...max(root, 1)).last { tokens % $0 == 0 }!
        if tokens / divisor <= 4 * divisor { return (divisor, tokens / divisor) }
        return (root, (tokens + root - 1) / root)
    }

    /// One warm-up pass, then `repetitions` timed passes on a random grid (see
    /// `measure(grid:attention:repetitions:minimumSeconds:maximumRepetitions:)` for more).
    public func measure(tokens: Int, attention: AttentionMode, repetitions: Int = 1,
                        minimumSeconds: Double = 0, maximumRepetitions: Int = 1) -> Measurement {
        precondition(repetitions > 0)
        let (rows, columns) = Self.gridShape(forTokens: tokens)
        let p = model.config.patchSize
        var generator = SplitMix64(seed: UInt64(tokens))
        let values = generator.signedValues(rows * columns * 3 * p * p)
        return measure(grid: PatchGrid(rows: rows, columns: columns, patchSize: p, values: values),
                       attention: attention, repetitions: repetitions, minimumSeconds: minimumSeconds,
                       maximumRepetitions: maximumRepetitions)
    }

    /// One warm-up pass, then timed passes on `grid` (e.g. a photo's): `repetitions`, and
    /// more while they add up to less than `minimumSeconds`, up to `maximumRepetitions`.
    /// On a shared machine single passes of a few milliseconds vary by half, so small grids
    /// need many passes for a stable best; the PyTorch reference times by the same rule.
    public func measure(grid: PatchGrid, attention: AttentionMode, repetitions: Int = 1,
                        minimumSeconds: Double = 0, maximumRepetitions: Int = 1) -> Measurement {
        precondition(repetitions > 0)
        let (rows, columns) = (grid.rows, grid.columns)
        _ = model.logits(for: grid, attention: attention)
        let clock = ContinuousClock()
        var times: [Double] = []
        let start = clock.now
        while times.count < repetitions
            || (times.count < maximumRepetitions && (clock.now - start).inMilliseconds < minimumSeconds * 1000) {
            times.append(clock.measure { _ = model.logits(for: grid, attention: attention) }.inMilliseconds)
        }
        return Measurement(tokens: rows * columns, rows: rows, columns: columns, attention: attention.rawValue,
                           milliseconds: times.reduce(0, +) / Double(times.count),
                           bestMilliseconds: times.min()!,
                           peakResidentMegabytes: PeakResidentMemory.highWaterMarkBytes().map { Double($0) / 1_048_576 })
    }

    /// `measure(tokens:attention:repetitions:)` for each count in turn. The peaks are
    /// cumulative: only the first (or the largest, if ascending) is that size's own.
    public func measure(tokenCounts: [Int], attention: AttentionMode, repetitions: Int = 1) -> [Measurement] {
        tokenCounts.map { measure(tokens: $0, attention: attention, repetitions: repetitions) }
    }
}

import Foundation

/// One (implementation, mode, size) result of `dvit bench forward`; the timings are nil
/// when the size was skipped or failed, and `note` says why.
struct ForwardBenchRow: Encodable, Equatable {
    var implementation: String
    var mode: String
    var tokens: Int
    var grid: String
    var bestMilliseconds: Double?
    var peakResidentMegabytes: Double?
    /// Model FLOPs per pass (`ModelConfig.forwardFLOPs`), for the rate columns.
    var flops: Double
    /// The machine's sgemm rate measured in the same run.
    var sgemmGigaflops: Double
    var note = ""

    var microsecondsPerToken: Double? { bestMilliseconds.map { $0 * 1000 / Double(tokens) } }
    var gigaflops: Double? { bestMilliseconds.map { flops / ($0 / 1000) / 1e9 } }
    /// The model's FLOP rate as a share of sgemm's.
    var sgemmFraction: Double? { gigaflops.map { $0 / sgemmGigaflops } }

    /// The series a row belongs to in tables and plots.
    var series: String { "\(implementation) \(mode)" }

    static let header = ["implementation", "mode", "tokens", "grid", "best_ms", "us_per_token", "peak_rss_mb",
                         "gflops", "of_sgemm", "note"]

    /// The row as text, in `header` order (empty cells for missing timings).
    var fields: [String] {
        func format(_ value: Double?, _ pattern: String) -> String { value.map { String(format: pattern, $0) } ?? "" }
        return [implementation, mode, "\(tokens)", grid, format(bestMilliseconds, "%.1f"),
                format(microsecondsPerToken, "%.1f"), format(peakResidentMegabytes, "%.0f"),
                format(gigaflops, "%.1f"), format(sgemmFraction.map { $0 * 100 }, "%.0f%%"), note]
    }

    private enum CodingKeys: String, CodingKey {
        case implementation, mode, tokens, grid, note
        case bestMilliseconds = "best_ms", microsecondsPerToken = "us_per_token", peakResidentMegabytes = "peak_rss_mb"
        case gigaflops = "gflops", sgemmGigaflops = "sgemm_gflops"
    }

    /// The CSV's columns as keys; missing timings are `null` rather than absent.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(implementation, forKey: .implementation)
        try container.encode(mode, forKey: .mode)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(grid, forKey: .grid)
        try container.encode(bestMilliseconds.flatMap { $0.isFinite ? $0 : nil }, forKey: .bestMilliseconds)
        try container.encode(microsecondsPerToken.flatMap { $0.isFinite ? $0 : nil }, forKey: .microsecondsPerToken)
        try container.encode(peakResidentMegabytes.flatMap { $0.isFinite ? $0 : nil }, forKey: .peakResidentMegabytes)
        try container.encode(gigaflops.flatMap { $0.isFinite ? $0 : nil }, forKey: .gigaflops)
        try container.encode(sgemmGigaflops, forKey: .sgemmGigaflops)
        try container.encode(note, forKey: .note)
    }
}

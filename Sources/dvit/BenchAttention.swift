import ArgumentParser
import DilatedViT
import DilatedViTTools

struct BenchAttention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "FLOP rate of the attention kernel alone, dilated (and dense on small grids).",
        discussion: """
            Times the attention core of the reference model (6 heads of 32, levels \
            (4,1)(8,2)(16,4)(32,8)) on random queries, keys and values: gathering each window, \
            q·kᵀ, the online softmax and p·v, merged over the levels. FLOPs are 4·dh per \
            attended (query, key) pair, counted exactly (border windows are smaller).

            Example:
              dvit bench attention --tokens 4096,65536 --repeats 5
            """)

    @Option(help: "Comma-separated token counts (square-ish grids).")
    var tokens = "1024,4096,16384,65536"

    @Option(help: "Timed calls per size (the best is reported).")
    var repeats = 3

    @Option(help: "Also time dense attention up to this many tokens.")
    var maxDenseTokens = 4096

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        _ = try parseIntegerList(tokens, option: "--tokens")
    }

    func run() throws {
        let benchmark = AttentionBenchmark()
        print(["mode", "tokens", "grid", "best_ms", "gflops"].joined(separator: "\t"))
        for size in try parseIntegerList(tokens, option: "--tokens") {
            for mode in AttentionMode.allCases where mode == .dilated || size <= maxDenseTokens {
                let m = benchmark.measure(tokens: size, mode: mode, repetitions: repeats)
                print([mode.rawValue, "\(m.tokens)", "\(m.rows)x\(m.columns)", String(format: "%.2f", m.bestMilliseconds),
                       String(format: "%.3g", m.gigaflops)].joined(separator: "\t"))
            }
        }
    }
}

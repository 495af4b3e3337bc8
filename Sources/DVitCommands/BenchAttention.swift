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

            Defaults: --tokens 1024,4096,16384,65536, --repeats 3, --max-dense-tokens 4096.

            Example:
              dvit bench attention --tokens 4096,65536 --repeats 5
            """)

    @OptionGroup var sweep: TokenSweep

    func run() throws {
        let benchmark = AttentionBenchmark()
        print(["mode", "tokens", "grid", "best_ms", "gflops"].joined(separator: "\t"))
        let maxDenseTokens = sweep.maxDenseTokens ?? 4096
        for size in try sweep.sizes(default: "1024,4096,16384,65536") {
            for mode in AttentionMode.allCases where mode == .dilated || size <= maxDenseTokens {
                let m = benchmark.measure(tokens: size, mode: mode, repetitions: sweep.repeats ?? 3)
                print([mode.rawValue, "\(m.tokens)", "\(m.rows)x\(m.columns)", String(format: "%.2f", m.bestMilliseconds),
                       String(format: "%.3g", m.gigaflops)].joined(separator: "\t"))
            }
        }
    }
}

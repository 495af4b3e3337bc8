import ArgumentParser
import DilatedViT
import DilatedViTTools
import Foundation

struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of the model's Linear products: OpenBLAS sgemm vs the BF16 kernel.",
        discussion: """
            For each row count and each Linear shape of the reference model (qkv 192→576, \
            proj 192→192, fc1 192→768, fc2 768→192), times Y = X·Wᵀ through the library's \
            sgemm wrapper (OpenBLAS, fp32) and through the BF16 kernel (bf16 operands, fp32 \
            sums), both split into row bands on every core. The two alternate round by round \
            and the best round of each is reported, so their ratio is fair on a busy machine.

            Example:
              dvit bench gemm --rows 256,1024,4096 --rounds 7
            """)

    @Option(help: "Comma-separated row (token) counts.")
    var rows = "256,1024,4096"

    @Option(help: "Rounds per shape (the best of each side is reported).")
    var rounds = 5

    @Option(help: "Seconds each side runs per round.")
    var roundSeconds = 0.1

    func validate() throws {
        guard rounds > 0, roundSeconds > 0 else { throw ValidationError("--rounds and --round-seconds must be positive") }
        _ = try parseIntegerList(rows, option: "--rows")
    }

    func run() throws {
        if !GemmBenchmark.isAccelerated {
            print("note: this CPU lacks AVX512-BF16; the bf16 column is the portable fallback")
        }
        print(["layer", "rows", "inputs", "outputs", "sgemm_gflops", "bf16_gflops", "bf16/sgemm", "rel_diff"]
            .joined(separator: "\t"))
        for rowCount in try parseIntegerList(rows, option: "--rows") {
            for layer in GemmBenchmark.modelLayers {
                let result = GemmBenchmark.measure(rows: rowCount, inputs: layer.inputs, outputs: layer.outputs,
                                                   rounds: rounds, roundSeconds: roundSeconds)
                print([layer.name, "\(rowCount)", "\(layer.inputs)", "\(layer.outputs)",
                       String(format: "%.1f", result.float32GFLOPS), String(format: "%.1f", result.bfloat16GFLOPS),
                       String(format: "%.2f", result.speedup), String(format: "%.1e", result.relativeDifference)]
                    .joined(separator: "\t"))
            }
        }
    }
}

import ArgumentParser
import DilatedViT
import DilatedViTTools
import Foundation

struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of the model's Linear products: OpenBLAS sgemm and the library's fp32, BF16 and int8 kernels.",
        discussion: """
            For each row count and each Linear shape of the reference model (qkv 192→576, \
            proj 192→192, fc1 192→768, fc2 768→192), times Y = X·Wᵀ + b through OpenBLAS \
            sgemm (fp32, the form training uses) and through the library's kernels from \
            weights packed once, as an inference model holds them: fp32, BF16 (bf16 operands, \
            fp32 sums) and int8 (per-channel weights, per-row inputs, int32 sums), all split \
            into row bands on every core. They alternate round by round and the best round of \
            each is reported, so their ratios are fair on a busy machine. The rel_diff columns \
            compare each kernel's output with sgemm's (max |Δ| / max |y|).

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
        for kernel in GemmBenchmark.unaccelerated {
            print("note: this CPU lacks the instructions of the \(kernel.rawValue) kernel; its column is the fallback")
        }
        let kernels = GemmBenchmark.Kernel.allCases
        print((["layer", "rows", "inputs", "outputs"] + kernels.map { "\($0.rawValue)_gflops" }
               + ["bf16/sgemm", "int8/bf16"] + kernels.dropFirst().map { "\($0.rawValue)_rel_diff" })
            .joined(separator: "\t"))
        for rowCount in try parseIntegerList(rows, option: "--rows") {
            for layer in GemmBenchmark.modelLayers {
                let result = GemmBenchmark.measure(rows: rowCount, inputs: layer.inputs, outputs: layer.outputs,
                                                   rounds: rounds, roundSeconds: roundSeconds)
                let rate = result.gflops
                print(([layer.name, "\(rowCount)", "\(layer.inputs)", "\(layer.outputs)"]
                       + kernels.map { String(format: "%.1f", rate[$0]!) }
                       + [String(format: "%.2f", rate[.bf16]! / rate[.sgemm]!), String(format: "%.2f", rate[.int8]! / rate[.bf16]!)]
                       + kernels.dropFirst().map { String(format: "%.1e", result.relativeDifference[$0]!) })
                    .joined(separator: "\t"))
            }
        }
    }
}

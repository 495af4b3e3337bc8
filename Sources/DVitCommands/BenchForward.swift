import ArgumentParser
import DilatedViT
import DilatedViTTools
import Foundation

struct BenchForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward time and peak memory per image vs token count, dilated vs dense.",
        discussion: """
            Each (size, mode) runs in a fresh process, so every peak RSS is that size's own. \
            Uses the reference model size (D 192, depth 6, heads 6, patch 8, MLP ×4, levels \
            (4,1)(8,2)(16,4)(32,8)) with random weights. A mode stops once its predicted time \
            for the next size passes --cap-seconds (dense grows with N², dilated with N), and \
            says so. With --python, the PyTorch reference (reference/bench_torch.py, 2 \
            threads) runs the same sizes in the same run. Each row also gives the model's FLOP \
            rate (FLOPs counted from the model's formulas) and its share of the rate sgemm \
            reaches on a 2048³ product with all cores, measured at the start of the run.

            --precisions fp32,bf16 also times the model with BF16 Linear products (rows \
            "swift-bf16"), interleaved with fp32 size by size.

            Defaults: --tokens 256 to 1,048,576 by ×4, --repeats 3, dense at every size.

            --quick is a one-minute preset: 256 to 16,384 tokens, dense only up to 4,096, one \
            timed pass each (options given explicitly still win). --json writes the rows as a JSON \
            array and --svg a log-log plot of milliseconds per image vs tokens, one line per \
            implementation × mode.

            Examples:
              dvit bench forward --quick --svg forward.svg
              dvit bench forward --tokens 256,1024,4096,16384,65536 \\
                --modes dilated --precisions fp32,bf16
              dvit bench forward --tokens 256,1024,4096,16384,65536 \\
                --python /path/to/venv/bin/python \\
                --csv forward.csv --json forward.json --svg forward.svg
            """)

    @OptionGroup var sweep: TokenSweep

    @Option(help: "Comma-separated modes: dilated, dense.")
    var modes = "dilated,dense"

    @Option(help: "Comma-separated Linear-layer precisions of the Swift model: fp32, bf16.")
    var precisions = "fp32"

    @Option(help: "Skip a size whose predicted time per pass exceeds this.")
    var capSeconds = 60.0

    @Option(help: "More passes (up to 30) until a size's passes add up to this many seconds, for Swift and PyTorch alike: small sizes' single passes are noisy. (default: 1; --quick 0)")
    var minSeconds: Double?

    @Flag(help: "A one-minute preset: tokens 256,1024,4096,16384, dense up to 4096, one pass each.")
    var quick = false

    @Option(help: "Python with torch + safetensors: also time the PyTorch reference.", completion: .file())
    var python: String?

    @OptionGroup var files: ForwardBenchFiles

    @Option(help: "Time this photo, resized (upscaled if needed) to each token count, instead of random patches; the PyTorch rows still use random patches of the same count.",
            completion: .file(extensions: ["jpg", "jpeg", "png"]))
    var photo: String?

    @Option(help: "Patch embedding of the Swift model: linear, or hmlp (the PyTorch rows stay linear).")
    var patchEmbedding: PatchEmbedding = .linear

    @Option(help: "Architecture of the Swift model: v1, or v2 (levels to the grid, normalised position code, attention pooling).")
    var model = ForwardBenchmark.ModelVersion.v1

    @Option(help: .hidden) var single: Int?
    @Option(help: .hidden) var mode = AttentionMode.dilated
    @Option(help: .hidden) var precision = MatmulPrecision.float32

    /// The settings after the --quick preset and the defaults fill in what was not given.
    private var defaultTokens: String { quick ? "256,1024,4096,16384" : "256,1024,4096,16384,65536,262144,1048576" }
    private var passes: Int { sweep.repeats ?? (quick ? 1 : 3) }
    private var minimumSeconds: Double { minSeconds ?? (quick ? 0 : 1) }
    /// The most passes `--min-seconds` may add up to.
    private var maximumPasses: Int { max(passes, 30) }
    private var denseLimit: Int? { sweep.maxDenseTokens ?? (quick ? 4096 : nil) }

    func validate() throws {
        guard minimumSeconds >= 0 else { throw ValidationError("--min-seconds must not be negative") }
        let _: [AttentionMode] = try parseNamedList(modes, option: "--modes")
        let _: [MatmulPrecision] = try parseNamedList(precisions, option: "--precisions")
    }

    func run() throws {
        if let single {
            // Child process: one measurement as one JSON line.
            let benchmark = ForwardBenchmark(config: ForwardBenchmark.standardConfig(patchEmbedding: patchEmbedding, version: model), seed: 7,
                                             precision: precision)
            let measurement: ForwardBenchmark.Measurement
            if let photo {
                let loader = PhotoLoader(patchSize: benchmark.model.config.patchSize, maxTokens: single, allowsUpscaling: true)
                measurement = benchmark.measure(grid: try loader.load(contentsOf: photo).grid, attention: mode,
                                                repetitions: passes, minimumSeconds: minimumSeconds,
                                                maximumRepetitions: maximumPasses)
            } else {
                measurement = benchmark.measure(tokens: single, attention: mode, repetitions: passes,
                                                minimumSeconds: minimumSeconds, maximumRepetitions: maximumPasses)
            }
            print(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
            return
        }
        let sizes = try sweep.sizes(default: defaultTokens)
        let modeList: [AttentionMode] = try parseNamedList(modes, option: "--modes")
        let precisionList: [MatmulPrecision] = try parseNamedList(precisions, option: "--precisions")
        var engines = precisionList.flatMap { precision in
            modeList.map { Engine(implementation: "swift", mode: $0, precision: precision) }
        }
        if python != nil { engines += modeList.map { Engine(implementation: "pytorch", mode: $0) } }

        let sgemmRate = MatrixMultiplyRate.measure()
        printNow(String(format: "sgemm reference: %.1f GFLOP/s (2048×2048×2048, %d threads)",
                        sgemmRate, ProcessInfo.processInfo.activeProcessorCount))
        var rows = [ForwardBenchRow]()
        printNow(ForwardBenchRow.header.joined(separator: "\t"))
        for size in sizes {
            for index in engines.indices {
                let row = measure(&engines[index], tokens: size, sgemmRate: sgemmRate)
                rows.append(row)
                printNow(row.fields.joined(separator: "\t"))
            }
        }
        try files.write(rows)
    }

    /// Unbuffered, so a long run shows each row as it finishes.
    private func printNow(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// One implementation × mode (× precision for Swift), remembering its last timing to
    /// predict the next size's.
    struct Engine {
        let implementation: String
        let mode: AttentionMode
        var precision = MatmulPrecision.float32
        var last: (tokens: Int, milliseconds: Double)?

        /// The row's implementation column: "swift", "swift-bf16" or "pytorch".
        var label: String { precision == .float32 ? implementation : "\(implementation)-\(precision.rawValue)" }
    }

    private func measure(_ engine: inout Engine, tokens: Int, sgemmRate: Double) -> ForwardBenchRow {
        let (rows, columns) = ForwardBenchmark.gridShape(forTokens: tokens)
        let config = engine.implementation == "swift"
            ? ForwardBenchmark.standardConfig(patchEmbedding: patchEmbedding, version: model)
            : ForwardBenchmark.standardConfig()
        var row = ForwardBenchRow(implementation: engine.label, mode: engine.mode.rawValue, tokens: tokens,
                                  grid: "\(rows)x\(columns)",
                                  flops: config.architecture.forwardFLOPs(rows: rows, columns: columns, attention: engine.mode),
                                  sgemmGigaflops: sgemmRate)
        if engine.mode == .dense, let denseLimit, tokens > denseLimit {
            row.note = "skipped: dense runs up to \(denseLimit) tokens"
            return row
        }
        if let last = engine.last {
            let exponent = engine.mode == .dense ? 2.0 : 1.0
            let predicted = last.milliseconds * pow(Double(tokens) / Double(last.tokens), exponent) / 1000
            if predicted > capSeconds {
                row.note = String(format: "skipped: predicted %.0f s per pass > cap %.0f s", predicted, capSeconds)
                return row
            }
        }
        let (command, arguments) = engine.implementation == "swift"
            ? (CommandLine.arguments[0], ["bench", "forward", "--single", "\(tokens)", "--mode", engine.mode.rawValue,
                                          "--repeats", "\(passes)", "--min-seconds", "\(minimumSeconds)",
                                          "--patch-embedding", patchEmbedding.rawValue, "--model", model.rawValue,
                                          "--precision", engine.precision.rawValue]
                + (photo.map { ["--photo", $0] } ?? []))
            : (python!, ["reference/bench_torch.py", "--tokens", "\(tokens)", "--mode", engine.mode.rawValue,
                         "--min-iters", "\(passes)", "--max-iters", "\(maximumPasses)",
                         "--min-time", "\(minimumSeconds)"])
        guard let line = runCapturingLastLine(command, arguments),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            row.note = "failed (see stderr)"
            return row
        }
        let best = (object["bestMilliseconds"] ?? object["ms_min"]) as? Double ?? .nan
        let peak = (object["peakResidentMegabytes"] ?? object["peak_rss_mb"]) as? Double ?? .nan
        if let rows = object["rows"] as? Int, let columns = object["columns"] as? Int {
            // A photo's grid keeps its aspect ratio, so it may hold a few tokens fewer.
            row.grid = "\(rows)x\(columns)"
            row.tokens = rows * columns
            row.flops = config.architecture.forwardFLOPs(rows: rows, columns: columns, attention: engine.mode)
        }
        engine.last = (tokens, best)
        row.bestMilliseconds = best
        row.peakResidentMegabytes = peak
        return row
    }

    /// Runs a child process and returns the last line it printed on stdout.
    private func runCapturingLastLine(_ command: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            printError("dvit: cannot run \(command): \(error)")
            return nil
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init)
    }
}

extension ForwardBenchmark.ModelVersion: ExpressibleByArgument {}

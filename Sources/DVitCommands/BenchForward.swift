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
            threads) runs the same sizes in the same run, on the same model version (--model; \
            always the linear patch embedding). Each row also gives the model's FLOP \
            rate (FLOPs counted from the model's formulas) and its share of the rate sgemm \
            reaches on a 2048³ product with all cores, measured at the start of the run.

            --runtimes picks the Python-side engines (with --python): pytorch (the default), \
            onnxruntime, openvino. The ONNX engines run reference/bench_onnx.py: PyTorch's random \
            weights written as a weights folder, exported by reference/export_onnx.py for each grid \
            (cached under $TMPDIR/dvit-bench-onnx), timed with ONNX Runtime (CPU, intra-op threads = \
            this machine's cores, like the Swift rows) and OpenVINO (CPU, f32, and rows \
            "openvino-bf16" with the bf16 inference precision where OpenVINO lists BF16 for the CPU), \
            the same warm-up and passes as PyTorch. Each run checks its logits against PyTorch's \
            (max |Δ| ≤ 1e-4; bf16 ≤ 1e-2) and the row fails if they differ. A runtime the Python \
            lacks gets one row saying so; the others still run.

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
              dvit bench forward --tokens 256,1024,4096,16384 --modes dilated \\
                --python /path/to/venv/bin/python --runtimes pytorch,onnxruntime,openvino
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

    @Option(help: "With --python: comma-separated Python-side engines to time: pytorch, onnxruntime, openvino (f32, and bf16 where the CPU has it). (default: pytorch)")
    var runtimes: String?

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
        if let runtimes {
            guard python != nil else {
                throw ValidationError("--runtimes times Python-side engines: give --python with a Python that has torch, safetensors, onnx and the runtimes")
            }
            let _: [PythonRuntime] = try parseNamedList(runtimes, option: "--runtimes")
        }
    }

    /// A Python-side engine of `--runtimes`.
    enum PythonRuntime: String, CaseIterable {
        case pytorch, onnxruntime, openvino

        /// The implementations (row labels) it times.
        var implementations: [String] { self == .openvino ? ["openvino", "openvino-bf16"] : [rawValue] }
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
        // Check the Python before any timing: a missing or broken one is one error line.
        let python = self.python.map(PythonProbe.resolve)
        let pythonVersions = try python.map(PythonProbe.run)
        if python != nil {
            let runtimeList: [PythonRuntime] = try parseNamedList(runtimes ?? "pytorch", option: "--runtimes")
            for implementation in runtimeList.flatMap(\.implementations) {
                engines += modeList.map { Engine(implementation: implementation, mode: $0) }
            }
        }

        let sgemmRate = MatrixMultiplyRate.measure()
        printNow(String(format: "sgemm reference: %.1f GFLOP/s (2048×2048×2048, %d threads)",
                        sgemmRate, ProcessInfo.processInfo.activeProcessorCount))
        if let pythonVersions { printNow("python: " + pythonVersions) }
        var rows = [ForwardBenchRow]()
        printNow(ForwardBenchRow.header.joined(separator: "\t"))
        for size in sizes {
            for index in engines.indices where engines[index].unavailable == nil {
                let row = measure(&engines[index], tokens: size, sgemmRate: sgemmRate, python: python)
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
        /// Why the Python cannot run it (said in one row, then the engine is left out).
        var unavailable: String?

        /// The row's implementation column: "swift", "swift-bf16", "pytorch", "onnxruntime", "openvino" or
        /// "openvino-bf16".
        var label: String { precision == .float32 ? implementation : "\(implementation)-\(precision.rawValue)" }
    }

    private func measure(_ engine: inout Engine, tokens: Int, sgemmRate: Double, python: String?) -> ForwardBenchRow {
        let (rows, columns) = ForwardBenchmark.gridShape(forTokens: tokens)
        let config = engine.implementation == "swift"
            ? ForwardBenchmark.standardConfig(patchEmbedding: patchEmbedding, version: model)
            : ForwardBenchmark.standardConfig(version: model)
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
        let timing = ["--mode", engine.mode.rawValue, "--model", model.rawValue, "--min-iters", "\(passes)",
                      "--max-iters", "\(maximumPasses)", "--min-time", "\(minimumSeconds)"]
        let (command, arguments) = switch engine.implementation {
        case "swift":
            (CommandLine.arguments[0], ["bench", "forward", "--single", "\(tokens)", "--mode", engine.mode.rawValue,
                                        "--repeats", "\(passes)", "--min-seconds", "\(minimumSeconds)",
                                        "--patch-embedding", patchEmbedding.rawValue, "--model", model.rawValue,
                                        "--precision", engine.precision.rawValue]
                + (photo.map { ["--photo", $0] } ?? []))
        case "pytorch":
            (python!, ["reference/bench_torch.py", "--tokens", "\(tokens)"] + timing)
        default:
            (python!, ["reference/bench_onnx.py", "--runtime", engine.implementation, "--rows", "\(rows)",
                       "--cols", "\(columns)", "--threads", "\(ProcessInfo.processInfo.activeProcessorCount)"] + timing)
        }
        let (status, line) = runCapturingLastLine(command, arguments)
        guard let line, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            row.note = "failed (see stderr)"
            return row
        }
        if let error = object["error"] as? String {
            // bench_onnx.py: 3 = the runtime is not installed (or not for this CPU), said once.
            if status == PythonProbe.notInstalledStatus { engine.unavailable = error }
            row.note = status == PythonProbe.notInstalledStatus ? "not available: \(error)" : "failed: \(error)"
            return row
        }
        guard status == 0 else {
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

    /// Runs a child process and returns its exit status and the last line it printed on stdout.
    private func runCapturingLastLine(_ command: String, _ arguments: [String]) -> (status: Int32, line: String?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            printError("dvit: cannot run \(command): \(error)")
            return (-1, nil)
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init))
    }
}

/// `--python`'s check before any timing: the Python runs reference/bench_onnx.py --probe and has torch.
enum PythonProbe {
    /// bench_onnx.py's exit status for a runtime that is not installed.
    static let notInstalledStatus: Int32 = 3

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A bare name ("python3") found on PATH; a path, or a name not found, as given.
    static func resolve(_ python: String) -> String {
        guard !python.contains("/") else { return python }
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return directories.map { "\($0)/\(python)" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? python
    }

    /// The Python's versions as one line ("/path 3.11.7: torch 2.15.0, onnxruntime 1.32.0, openvino —"), or a
    /// one-line error.
    static func run(_ python: String) throws -> String {
        let script = "reference/bench_onnx.py"
        guard FileManager.default.fileExists(atPath: script) else {
            throw Failure(description: "--python runs \(script): run dvit from the repository root")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--probe"]
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw Failure(description: "--python \(python): cannot run it (\(error.localizedDescription))")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").last,
              let versions = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            let last = message.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw Failure(description: "--python \(python) failed its check (\(script) --probe): \(last)")
        }
        guard versions["torch"] is String else {
            throw Failure(description: "--python \(python) has no torch: pip install torch safetensors numpy (and onnx onnxruntime openvino for --runtimes)")
        }
        let packages = ["torch", "onnx", "onnxruntime", "openvino"].map { "\($0) \(versions[$0] as? String ?? "—")" }
        return "\(python) \(versions["python"] as? String ?? "?"): " + packages.joined(separator: ", ")
    }
}

extension ForwardBenchmark.ModelVersion: ExpressibleByArgument {}

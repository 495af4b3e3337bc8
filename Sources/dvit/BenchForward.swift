import ArgumentParser
import DilatedViT
import Foundation

struct BenchForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward time and peak memory per image vs token count, dilated vs dense.",
        discussion: """
            Each (size, mode) runs in a fresh process, so every peak RSS is that size's own.
            Uses the reference model size (D 192, depth 6, heads 6, patch 8, MLP ×4, levels
            (4,1)(8,2)(16,4)(32,8)) with random weights. A mode stops once its predicted time
            for the next size passes --cap-seconds (dense grows with N², dilated with N), and
            says so. With --python, the PyTorch reference (reference/bench_torch.py, 2
            threads) runs the same sizes in the same run.

            Example:
              dvit bench forward --tokens 256,1024,4096,16384,65536 --python /path/to/venv/bin/python
            """)

    @Option(help: "Comma-separated token counts (square-ish grids).")
    var tokens = "256,1024,4096,16384,65536,262144,1048576"

    @Option(help: "Comma-separated modes: dilated, dense.")
    var modes = "dilated,dense"

    @Option(help: "Skip a size whose predicted time per pass exceeds this.")
    var capSeconds = 60.0

    @Option(help: "Timed passes per size (the best is reported).")
    var repeats = 3

    @Option(help: "Python with torch + safetensors: also time the PyTorch reference.")
    var python: String?

    @Option(help: "Write the rows as CSV here.")
    var csv: String?

    @Option(help: .hidden) var single: Int?
    @Option(help: .hidden) var mode: String = "dilated"

    func run() throws {
        if let single {
            // Child process: one measurement as one JSON line.
            let benchmark = ForwardBenchmark(config: ForwardBenchmark.standardConfig(), seed: 7)
            let measurement = benchmark.measure(tokens: single, attention: AttentionMode(rawValue: mode) ?? .dilated,
                                                repetitions: repeats)
            print(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
            return
        }
        let sizes = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let modeList = modes.split(separator: ",").map(String.init)
        var engines = modeList.map { Engine(implementation: "swift", mode: $0) }
        if python != nil { engines += modeList.map { Engine(implementation: "pytorch", mode: $0) } }

        var rows = [[String]]()
        let header = ["implementation", "mode", "tokens", "grid", "best_ms", "us_per_token", "peak_rss_mb", "note"]
        printNow(header.joined(separator: "\t"))
        for size in sizes {
            for index in engines.indices {
                let row = measure(&engines[index], tokens: size)
                rows.append(row)
                printNow(row.joined(separator: "\t"))
            }
        }
        if let csv {
            let text = ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
            try text.write(toFile: csv, atomically: true, encoding: .utf8)
        }
    }

    /// Unbuffered, so a long run shows each row as it finishes.
    private func printNow(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// One implementation × mode, remembering its last timing to predict the next size's.
    struct Engine {
        let implementation: String
        let mode: String
        var last: (tokens: Int, milliseconds: Double)?
    }

    private func measure(_ engine: inout Engine, tokens: Int) -> [String] {
        let (rows, columns) = ForwardBenchmark.gridShape(forTokens: tokens)
        let grid = "\(rows)x\(columns)"
        if let last = engine.last {
            let exponent = engine.mode == "dense" ? 2.0 : 1.0
            let predicted = last.milliseconds * pow(Double(tokens) / Double(last.tokens), exponent) / 1000
            if predicted > capSeconds {
                return [engine.implementation, engine.mode, "\(tokens)", grid, "", "", "",
                        String(format: "skipped: predicted %.0f s per pass > cap %.0f s", predicted, capSeconds)]
            }
        }
        let (command, arguments) = engine.implementation == "swift"
            ? (CommandLine.arguments[0], ["bench", "forward", "--single", "\(tokens)", "--mode", engine.mode,
                                          "--repeats", "\(repeats)"])
            : (python!, ["reference/bench_torch.py", "--tokens", "\(tokens)", "--mode", engine.mode,
                         "--max-iters", "\(repeats)", "--min-time", "0"])
        guard let line = runCapturingLastLine(command, arguments),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            return [engine.implementation, engine.mode, "\(tokens)", grid, "", "", "", "failed (see stderr)"]
        }
        let best = (object["bestMilliseconds"] ?? object["ms_min"]) as? Double ?? .nan
        let peak = (object["peakResidentMegabytes"] ?? object["peak_rss_mb"]) as? Double ?? .nan
        engine.last = (tokens, best)
        return [engine.implementation, engine.mode, "\(tokens)", grid, String(format: "%.1f", best),
                String(format: "%.1f", best * 1000 / Double(tokens)), String(format: "%.0f", peak), ""]
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

import ArgumentParser
import Foundation

/// Where `bench forward` also writes its rows: `--csv`, `--json` and `--svg` (a plot).
struct ForwardBenchFiles: ParsableArguments {
    @Option(help: "Write the rows as CSV here.", completion: .file(extensions: ["csv"]))
    var csv: String?

    @Option(help: "Write the rows as a JSON array here.", completion: .file(extensions: ["json"]))
    var json: String?

    @Option(help: "Write a log-log plot of milliseconds per image vs tokens here (SVG).",
            completion: .file(extensions: ["svg"]))
    var svg: String?

    /// Writes `rows` to each file given.
    func write(_ rows: [ForwardBenchRow]) throws {
        if let csv {
            try OutputFile.write(Data(csvText(header: ForwardBenchRow.header, rows: rows.map(\.fields)).utf8), toFile: csv)
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.write(encoder.encode(rows), toFile: json)
        }
        if let svg {
            try OutputFile.write(Data(BenchPlot.svg(rows).utf8), toFile: svg)
        }
    }
}

import ArgumentParser
import DilatedViT
import DilatedViTTools
import DilatedViTTraining
import Foundation

struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Accuracy, time and peak memory vs token budget on labelled photos, dilated vs dense.",
        discussion: """
            --data is a folder with one sub-folder of photos per label (as dvit train and \
            evaluate read it), each named for one of the model's labels (a folder may hold only some of them). Each photo is read as `dvit \
            classify --max-tokens B` reads it, for each budget B of --budgets (0: native, \
            every pixel, one token per patch); photos smaller than a budget are upscaled to it \
            (--no-upscale reads them at their own size), so each budget really reads about \
            that many tokens. Dense attention (quadratic in tokens) runs only where the \
            budget's photos were read at no more than --dense-max-tokens tokens; its other rows \
            say they were skipped.

            Each row (budget × attention) gives the mean tokens read per photo, the accuracy \
            (correct of photos read), the mean model time per photo (the forward pass, \
            decoding excluded; wall clock, so build with -c release), and the process's peak \
            resident memory during the row (model included; "process peak" where the system \
            does not let the peak be reset per row). Photos are decoded again for each row, \
            one at a time. A photo that cannot be read yields one error line, is not counted, \
            and makes the exit status 1.

            CSV columns: budget (0 = native), attention, photos, correct, accuracy_pct, \
            mean_tokens, max_tokens, mean_ms, peak_rss_mb, peak_rss_scope (row or process), \
            note. The SVG has two panels over mean tokens read (log axis): accuracy, and \
            milliseconds per photo (log).

            Example:
              dvit bench scaling --data ../shared/datasets/intel-scenes/train --every 20 \\
                --budgets 256,1024,4096 --csv scaling.csv --svg scaling.svg
            """)

    @OptionGroup var model: ModelLocation

    @Option(help: "Labelled photos: one sub-folder of photos per label.")
    var data: String

    @Option(help: "Comma-separated token budgets (0 = native: every pixel, one token per patch).")
    var budgets = "256,1024,4096,16384,0"

    @Flag(inversion: .prefixedNo, help: "Read photos smaller than a budget upscaled to it.")
    var upscale = true

    @Option(help: "Run dense attention only where photos are read at no more tokens than this.")
    var denseMaxTokens = 4096

    @Option(help: "Use every n-th photo only (photos are listed label by label, so each label keeps its share).")
    var every = 1

    @Option(help: "Write the rows as CSV here.")
    var csv: String?

    @Option(help: "Write plots of accuracy and of milliseconds per photo vs tokens here (SVG).")
    var svg: String?

    func validate() throws {
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        guard denseMaxTokens >= 0 else { throw ValidationError("--dense-max-tokens must not be negative") }
        _ = try parseIntegerList(budgets, option: "--budgets", minimum: 0)
    }

    func run() throws {
        let budgetList = try parseIntegerList(budgets, option: "--budgets", minimum: 0)
        let classifier = try model.loadClassifier()
        let dataset: ImageFolderDataset
        do { dataset = try ImageFolderDataset(root: data) } catch {
            throw ValidationError("\(error) (see --data)")
        }
        // A test set may hold only some labels (real large photos rarely cover all), never others.
        let unknown = dataset.labels.filter { !classifier.config.labels.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("label folders \(unknown) are not among the model's labels \(classifier.config.labels)")
        }
        for skipped in dataset.skipped { printError("dvit: \(skipped)") }
        #if DEBUG
        printError("dvit: note: a debug build; its times are not representative (swift build -c release)")
        #endif

        let samples = stride(from: 0, to: dataset.samples.count, by: every).map { dataset.samples[$0] }
        let share = every > 1 ? "every \(every)th of " : ""
        try StandardStreams.writeOutput(
            "\(samples.count) photos (\(share)\(dataset.samples.count) in \(data)), \(dataset.labels.count) labels, "
                + "\(model.precision.rawValue) products, "
                + (upscale ? "photos smaller than a budget upscaled to it" : "photos smaller than a budget read at their own size"))
        try StandardStreams.writeOutput(Self.tableHeader)

        let benchmark = ScalingBenchmark(classifier: classifier, budgets: budgetList, allowsUpscaling: upscale,
                                         denseMaxTokens: denseMaxTokens)
        var reported = Set<String>()
        var progress = Progress(total: samples.count)
        var outputError: OutputError?
        let rows = benchmark.run(
            dataset: dataset, samples: samples,
            failed: { error in
                // A photo that fails at every budget is reported once.
                guard reported.insert(error.description).inserted else { return }
                progress.clearLine()
                printError("dvit: \(error)")
            },
            progress: { done, total in
                if done == 1 { progress = Progress(total: total) }
                progress.advance()
            },
            finished: { row in
                progress.clearLine()
                do throws(OutputError) { try StandardStreams.writeOutput(Self.tableLine(row)) } catch {
                    outputError = outputError ?? error
                }
            })
        if let outputError { throw outputError }

        if let csv {
            try OutputFile.write(Data(csvText(header: Self.csvHeader, rows: rows.map(Self.csvFields)).utf8), toFile: csv)
        }
        if let svg {
            try OutputFile.write(Data(Self.plot(rows).utf8), toFile: svg)
        }
        if !reported.isEmpty || !dataset.skipped.isEmpty { throw ExitCode(1) }
    }

    // MARK: - Presentation

    static func budgetText(_ budget: Int) -> String { budget == 0 ? "native" : "\(budget)" }

    static func skipNote(_ skip: ScalingBenchmark.Skip) -> String {
        "skipped (dense above --dense-max-tokens): photos read at up to \(skip.tokens) tokens > \(skip.limit)"
    }

    /// Column titles over `tableLine`'s columns.
    static let tableHeader = "budget".padding(toLength: 9, withPad: " ", startingAt: 0) + "attention"
        + "  photos  tokens/photo  " + "accuracy".padding(toLength: 20, withPad: " ", startingAt: 0)
        + "    ms/photo  peak RSS"

    static func tableLine(_ row: ScalingBenchmark.Row) -> String {
        let lead = budgetText(row.budget).padding(toLength: 9, withPad: " ", startingAt: 0)
            + row.attention.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
        if let skip = row.skipped { return lead + "  " + skipNote(skip) }
        guard let accuracy = row.accuracy, let tokens = row.meanTokens, let milliseconds = row.meanMilliseconds else {
            return lead + String(format: "%8d  no photo could be read", row.photos)
        }
        let score = String(format: "%.2f%% (%d/%d)", 100 * accuracy, row.correct, row.photos)
        let peak = row.peakResidentBytes.map {
            String(format: "%.0f MB", Double($0) / 1_048_576) + (row.peakScope == .process ? " (process peak)" : "")
        } ?? "n/a"
        return lead + String(format: "%8d  %12.1f  ", row.photos, tokens)
            + score.padding(toLength: 20, withPad: " ", startingAt: 0)
            + String(format: "%12.2f  ", milliseconds) + peak
    }

    static let csvHeader = ["budget", "attention", "photos", "correct", "accuracy_pct", "mean_tokens", "max_tokens",
                            "mean_ms", "peak_rss_mb", "peak_rss_scope", "note"]

    static func csvFields(_ row: ScalingBenchmark.Row) -> [String] {
        if let skip = row.skipped {
            return ["\(row.budget)", row.attention.rawValue, "", "", "", "", "", "", "", "", skipNote(skip)]
        }
        func format(_ value: Double?, _ pattern: String) -> String { value.map { String(format: pattern, $0) } ?? "" }
        let measured = row.photos > 0
        return ["\(row.budget)", row.attention.rawValue, "\(row.photos)", "\(row.correct)",
                format(row.accuracy.map { $0 * 100 }, "%.2f"), format(row.meanTokens, "%.1f"),
                measured ? "\(row.largestTokens)" : "", format(row.meanMilliseconds, "%.3f"),
                format(row.peakResidentBytes.map { Double($0) / 1_048_576 }, "%.1f"),
                row.peakResidentBytes == nil ? "" : row.peakScope.rawValue,
                measured ? "" : "no photo could be read"]
    }

    /// Accuracy, then milliseconds per photo, against the mean tokens read; skipped rows left out.
    static func plot(_ rows: [ScalingBenchmark.Row]) -> String {
        let measured = rows.filter { $0.skipped == nil && $0.photos > 0 }
        let tokensRead = "tokens read per photo (mean)"
        return BenchPlot.svg([
            BenchPlot.Panel(title: "Accuracy vs tokens read per photo (log x)", xLabel: tokensRead, yLabel: "accuracy",
                            yAxis: .linearPercent,
                            points: measured.map { ($0.attention.rawValue, $0.meanTokens!, 100 * $0.accuracy!) }),
            BenchPlot.Panel(title: "Model time per photo vs tokens read (log-log)", xLabel: tokensRead,
                            yLabel: "ms per photo", yAxis: .logMilliseconds,
                            points: measured.map { ($0.attention.rawValue, $0.meanTokens!, $0.meanMilliseconds!) }),
        ])
    }
}

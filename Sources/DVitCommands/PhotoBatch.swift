import ArgumentParser
import DilatedViT
import Foundation

/// The shared shape of commands over many photos: expand the inputs, keep this job's
/// shard, work on `--threads` photos at once, then report each photo in input order — its
/// output line, or one error line — and exit 1 if any failed or any input was skipped.
struct PhotoBatchOptions: ParsableArguments {
    @Argument(help: "Photos, folders (searched recursively, following links, for JPEG and PNG files by name or content), or - for paths on stdin.")
    var paths: [String]

    @Option(help: "Process only share k of n (0-based), e.g. --shard 2/8; every photo belongs to exactly one share.",
            transform: Shard.init(parsing:))
    var shard: Shard?

    @Option(parsing: .unconditional, help: "Photos worked on at once (default: one per core); output keeps the input order.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Runs `compute` on the photos, `--threads` at a time, and `emit` on each result in
    /// input order; `emit` returns the line to print. On SIGINT or SIGTERM every result
    /// already computed is still written, whole, before the process ends by that signal.
    func run<Output: Sendable>(_ compute: @escaping @Sendable (String) throws -> Output,
                               emit: (String, Output) throws -> String) throws {
        let (inputs, skipped) = photos()
        var failures = skipped
        let work = OrderedWork(count: inputs.count, workers: threads ?? ProcessInfo.processInfo.activeProcessorCount) { index in
            Result<Output, any Error> { try compute(inputs[index]) }
        }
        let interruption = Interruption { work.stop() }
        var progress = Progress(total: inputs.count)
        func report(_ index: Int, _ result: Result<Output, any Error>) throws {
            progress.clearLine()
            do {
                try StandardStreams.writeOutput(try emit(inputs[index], result.get()))
            } catch let error as OutputError {
                throw error
            } catch {
                failures += 1
                printError("dvit: \(error)")
            }
            progress.advance()
        }
        for index in inputs.indices {
            guard let result = work.result(index) else {
                // Interrupted: write what is finished (in input order), then end as the signal asks.
                progress.clearLine()
                for (late, result) in work.finishedResults(from: index) { try report(late, result) }
                interruption.endProcess()
            }
            try report(index, result)
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// This job's photos (its shard of the expanded inputs) and how many inputs were skipped,
    /// each already reported with one line.
    func photos() -> (photos: [String], skipped: Int) {
        let expanded = InputPaths.expand(paths)
        for skipped in expanded.skipped { printError("dvit: \(skipped)") }
        let inputs = shard.map { expanded.photos.filter($0.contains) } ?? expanded.photos
        // Not a failure: a job array may have more jobs than photos.
        if let shard, inputs.isEmpty, !expanded.photos.isEmpty {
            printError("dvit: note: shard \(shard.index)/\(shard.count) holds none of the \(expanded.photos.count) photos")
        }
        return (inputs, expanded.skipped.count)
    }

    /// `run` for commands whose whole output per photo is one line.
    func run(_ line: @escaping @Sendable (String) throws -> String) throws {
        try run(line, emit: { $1 })
    }
}

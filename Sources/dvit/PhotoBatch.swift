import ArgumentParser
import Foundation

/// The shared shape of commands over many photos: expand the inputs, keep this job's
/// shard, work on `--threads` photos at once, then report each photo in input order — its
/// output line, or one error line — and exit 1 if any failed.
struct PhotoBatchOptions: ParsableArguments {
    @Argument(help: "Photos, directories (searched recursively for .jpg/.jpeg/.png), or - for paths on stdin.")
    var paths: [String]

    @Option(help: "Process only share k of n (0-based), e.g. --shard 2/8; every photo belongs to exactly one share.")
    var shard: Shard?

    @Option(help: "Photos worked on at once (default: one per core); output keeps the input order.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Runs `compute` on the photos concurrently and `emit` on the results in input order;
    /// `emit` returns the line to print.
    func run<Output: Sendable>(_ compute: @escaping @Sendable (String) throws -> Output,
                               emit: (String, Output) throws -> String) throws {
        let inputs = InputPaths.expand(paths).filter { shard?.contains($0) ?? true }
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var progress = Progress(total: inputs.count)
        var failures = 0
        // Windows of a few photos per worker: output streams out while memory stays bounded.
        for start in stride(from: 0, to: inputs.count, by: 4 * workers) {
            let window = Array(inputs[start..<min(start + 4 * workers, inputs.count)])
            let results = ResultSlots<Output>(count: window.count)
            DispatchQueue.concurrentPerform(iterations: min(workers, window.count)) { worker in
                for index in stride(from: worker, to: window.count, by: workers) {
                    results[index] = Result { try compute(window[index]) }
                }
            }
            for (path, result) in zip(window, results.values) {
                progress.clearLine()
                do {
                    print(try emit(path, result.get()))
                } catch {
                    failures += 1
                    printError("dvit: \(error)")
                }
                progress.advance()
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// `run` for commands whose whole output per photo is one line.
    func run(_ line: @escaping @Sendable (String) throws -> String) throws {
        try run(line, emit: { $1 })
    }
}

/// One result slot per photo of a window, filled from concurrent workers.
private final class ResultSlots<Output: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Output, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    subscript(index: Int) -> Result<Output, any Error> {
        get { lock.withLock { slots[index]! } }
        set { lock.withLock { slots[index] = newValue } }
    }

    var values: [Result<Output, any Error>] { lock.withLock { slots.map { $0! } } }
}

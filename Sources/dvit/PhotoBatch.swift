import ArgumentParser
import Foundation

/// The shared shape of commands over many photos: expand the inputs, keep this job's
/// shard, run `body` per photo and print the line it returns, print one error line per
/// failure and go on, then exit 1 if anything failed.
struct PhotoBatchOptions: ParsableArguments {
    @Argument(help: "Photos, directories (searched recursively for .jpg/.jpeg/.png), or - for paths on stdin.")
    var paths: [String]

    @Option(help: "Process only share k of n (0-based), e.g. --shard 2/8; every photo belongs to exactly one share.")
    var shard: Shard?

    func run(_ body: (String) throws -> String) throws {
        let inputs = InputPaths.expand(paths).filter { shard?.contains($0) ?? true }
        var progress = Progress(total: inputs.count)
        var failures = 0
        for path in inputs {
            do {
                let line = try body(path)
                progress.clearLine()
                print(line)
            } catch {
                failures += 1
                progress.clearLine()
                printError("dvit: \(error)")
            }
            progress.advance()
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

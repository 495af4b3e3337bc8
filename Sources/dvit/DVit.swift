import ArgumentParser
import DilatedViT
import Foundation

struct DVit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dvit",
        abstract: "Label photos of any size with a dilated-attention vision transformer.",
        subcommands: [Classify.self, Explain.self, Embed.self, Info.self, Train.self, Evaluate.self,
                      ProbePosition.self, Bench.self])
}

/// Exit statuses follow the usual Unix convention: 0 success, 1 some inputs failed,
/// 2 usage errors (swift-argument-parser's own default would be 64).
@main
enum Main {
    static func main() {
        do {
            var command = try DVit.parseAsRoot()
            try command.run()
            try flushStandardOutput()
        } catch {
            let code = DVit.exitCode(for: error)
            let message = DVit.fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { print(message) } else { printError(message) }
            }
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Pushes what `print` buffered to standard output and reports a write that failed on the
/// way (a full disk): commands that print through stdio are checked here, at the end.
func flushStandardOutput() throws(OutputError) {
    // fflush(nil) flushes every stdio stream; stdout is the only one dvit writes through stdio.
    if fflush(nil) != 0 { throw OutputError(errno: errno) }
}

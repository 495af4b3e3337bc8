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

/// The `dvit` command line as a library, so that two executables run the very same
/// command tree: `dvit` (Sources/dvit/main.swift) and the MPI package's `dvit-mpi`, which
/// installs its MPI process group into DilatedViTTraining (`ProcessGroups.install`) before
/// calling `run`, so that `dvit-mpi train` takes exactly `dvit train`'s options. (The
/// alternative, a second `train` command in the MPI package, would repeat its forty options.)
public enum DVitCommandLine {
    /// The status, without a message, of a rank of a sequence-parallel read that stopped
    /// because another rank could not read its strip (that rank reports the cause).
    public static let anotherRankFailed: Int32 = 3

    /// Parses `arguments` (the process's own, without the program name, by default), runs
    /// the command and returns the exit status, following the usual Unix convention: 0
    /// success, 1 some inputs failed, 2 usage errors (swift-argument-parser's own default
    /// would be 64). An error's message goes to `reportError` (standard error by default).
    public static func run(_ arguments: [String]? = nil, reportError: ((String) -> Void)? = nil) -> Int32 {
        do {
            var command = try DVit.parseAsRoot(arguments)
            try command.run()
            try flushStandardOutput()
            return 0
        } catch {
            let code = DVit.exitCode(for: error)
            let message = DVit.fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { print(message) } else { (reportError ?? printError)(message) }
            }
            _ = fflush(nil)
            return code == .validationFailure ? 2 : code.rawValue
        }
    }
}

/// Pushes what `print` buffered to standard output and reports a write that failed on the
/// way (a full disk): commands that print through stdio are checked here, at the end.
func flushStandardOutput() throws(OutputError) {
    // fflush(nil) flushes every stdio stream; stdout is the only one dvit writes through stdio.
    if fflush(nil) != 0 { throw OutputError(errno: errno) }
}

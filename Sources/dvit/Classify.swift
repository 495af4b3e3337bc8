import ArgumentParser
import DilatedViT
import Foundation

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label photos with the scene model.",
        discussion: """
            PATH may be a photo, a directory (searched recursively for .jpg/.jpeg/.png) or `-`
            to read paths from standard input, one per line. A photo that cannot be read
            yields one error line on stderr; the others are still labelled. Exit status: 0
            when every photo was labelled, 1 when some failed.

            Examples:
              dvit classify images/
              dvit classify --json --top 1 photo.jpg
              find /photos -name '*.jpg' | dvit classify -
            """)

    @Argument(help: "Photos, directories, or - for paths on stdin.")
    var paths: [String]

    @Option(help: "Weights directory holding config.json and model.safetensors.")
    var weights = "weights"

    @Option(name: [.customShort("k"), .long], help: "Labels to show per photo.")
    var top = 3

    @Option(help: "Token budget of the working resolution (default: the model's; 0 = native).")
    var maxTokens: Int?

    @Flag(help: "Use dense attention instead of the model's dilated attention (for comparison).")
    var dense = false

    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        if let maxTokens, maxTokens < 0 { throw ValidationError("--max-tokens must be 0 (native) or positive") }
    }

    func run() throws {
        let inputs = InputPaths.expand(paths)
        let classifier: SceneClassifier?
        if FileManager.default.fileExists(atPath: weights + "/model.safetensors") {
            classifier = try SceneClassifier(contentsOf: URL(fileURLWithPath: weights))
        } else {
            classifier = nil
            printError("""
                dvit: no trained model in \(weights)/ (config.json + model.safetensors): showing how each \
                photo would be prepared, without labels. The scene model ships with the trainer.
                """)
        }
        var failures = 0
        for path in inputs {
            do {
                if let classifier {
                    let options = ClassificationOptions(topK: top, maxTokens: maxTokens,
                                                        attention: dense ? .dense : nil)
                    let result = try classifier.classify(contentsOf: path, options: options)
                    print(json ? ClassificationReport.json(path: path, result) : ClassificationReport.text(path: path, result))
                } else {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let photo = try PhotoLoader(patchSize: 8, maxTokens: maxTokens ?? 1024).load(contentsOf: path)
                    let milliseconds = Double((clock.now - start).components.attoseconds) * 1e-15
                        + Double((clock.now - start).components.seconds) * 1000
                    print(json ? ClassificationReport.json(path: path, photo.summary, milliseconds: milliseconds)
                               : ClassificationReport.text(path: path, photo.summary, milliseconds: milliseconds))
                }
            } catch {
                failures += 1
                printError("dvit: \(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

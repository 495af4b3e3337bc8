import ArgumentParser
import DilatedViT
import Foundation

struct BenchPrecision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precision",
        abstract: "BF16 (or int8) vs fp32 logits of one model on photos: max |Δlogit|, top-1 agreement, time.",
        discussion: """
            Runs each photo through the model twice, with fp32 and with BF16 (or --precision int8) Linear products, \
            at the model's token budget (or --max-tokens). Reports the largest logit difference, \
            how often the top label agrees and, for photos in folders named after a label, the \
            accuracy of each. The two alternate photo by photo, so their model times compare \
            fairly on a busy machine.

            Example:
              dvit bench precision images/ ../shared/datasets/intel-scenes/train --every 40
              dvit bench precision --precision int8 images/
            """)

    @Option(help: "The precision compared with fp32: bf16 or int8.")
    var precision = MatmulPrecision.bfloat16

    @Option(help: weightsHelp)
    var weights = defaultWeightsFolder

    @Option(help: "Token budget of the working resolution (default: the model's).")
    var maxTokens: Int?

    @Option(help: "Use every n-th photo only (in sorted order, so each folder keeps its share).")
    var every = 1

    @Argument(help: "Photos or directories of photos.")
    var photos: [String]

    func validate() throws {
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be positive") }
        guard precision != .float32 else { throw ValidationError("--precision: compare bf16 or int8 with fp32") }
    }

    func run() throws {
        let float32 = try DilatedViTModel(contentsOf: URL(fileURLWithPath: weights))
        let other = DilatedViTModel(config: float32.config, weights: float32.weights, precision: precision)
        noteSlowPrecisions([precision])
        let loader = SceneClassifier(model: float32).photoLoader(maxTokens: maxTokens)
        let labels = float32.config.labels
        let inputs = InputPaths.expand(photos)
        for skipped in inputs.skipped { printError("dvit: \(skipped)") }
        let paths = inputs.photos.enumerated().filter { $0.offset % every == 0 }.map(\.element)

        var comparison = Comparison(name: precision.rawValue)
        let clock = ContinuousClock()
        for path in paths {
            let grid: PatchGrid
            do { grid = try loader.load(contentsOf: path).grid } catch {
                printError("dvit: \(error)")
                continue
            }
            var exact = [Float](), rounded = [Float]()
            comparison.float32Seconds += clock.measure { exact = float32.logits(for: grid) }.inSeconds
            comparison.otherSeconds += clock.measure { rounded = other.logits(for: grid) }.inSeconds
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
            comparison.add(path: path, exact: exact, rounded: rounded, truth: labels.firstIndex(of: folder))
        }
        print(comparison.report())
    }

    /// Running totals over the photos.
    struct Comparison {
        /// The precision compared with fp32.
        let name: String
        var photos = 0
        var largest: (difference: Float, path: String) = (0, "")
        var differenceSum = 0.0
        var agreements = 0
        var labelled = 0
        var correct = (float32: 0, other: 0)
        var float32Seconds = 0.0
        var otherSeconds = 0.0

        mutating func add(path: String, exact: [Float], rounded: [Float], truth: Int?) {
            let difference = zip(exact, rounded).map { abs($0 - $1) }.max() ?? 0
            photos += 1
            differenceSum += Double(difference)
            if difference > largest.difference { largest = (difference, path) }
            let top = (float32: Self.argmax(exact), other: Self.argmax(rounded))
            if top.float32 == top.other { agreements += 1 }
            if let truth {
                labelled += 1
                if top.float32 == truth { correct.float32 += 1 }
                if top.other == truth { correct.other += 1 }
            }
        }

        func report() -> String {
            guard photos > 0 else { return "no photos could be read" }
            func percent(_ count: Int, _ total: Int) -> String { String(format: "%d/%d (%.2f%%)", count, total, 100 * Double(count) / Double(total)) }
            var lines = [
                "photos            \(photos)",
                String(format: "max |Δlogit|      %.4f (%@)", largest.difference, largest.path),
                String(format: "mean max |Δlogit| %.4f", differenceSum / Double(photos)),
                "top-1 agreement   \(percent(agreements, photos))",
            ]
            if labelled > 0 {
                lines.append("accuracy fp32     \(percent(correct.float32, labelled))")
                lines.append("accuracy \(name.padding(toLength: 9, withPad: " ", startingAt: 0))\(percent(correct.other, labelled))")
            }
            lines.append(String(format: "model time        fp32 %.2f s, %@ %.2f s: %@ %.2f× faster",
                                float32Seconds, name, otherSeconds, name, float32Seconds / otherSeconds))
            return lines.joined(separator: "\n")
        }

        private static func argmax(_ values: [Float]) -> Int {
            values.indices.max { values[$0] < values[$1] } ?? 0
        }
    }
}

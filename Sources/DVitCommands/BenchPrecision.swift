import ArgumentParser
import DilatedViT
import Foundation

struct BenchPrecision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precision",
        abstract: "BF16 vs fp32 logits of one model on photos: max |Δlogit|, top-1 agreement, time.",
        discussion: """
            Runs each photo through the model twice, with fp32 and with BF16 Linear products, \
            at the model's token budget (or --max-tokens). Reports the largest logit difference, \
            how often the top label agrees and, for photos in folders named after a label, the \
            accuracy of each. The two alternate photo by photo, so their model times compare \
            fairly on a busy machine.

            Example:
              dvit bench precision images/ ../shared/datasets/intel-scenes/train --every 40
            """)

    @Option(help: "Weights directory holding config.json and model.safetensors.")
    var weights = "weights"

    @Option(help: "Token budget of the working resolution (default: the model's).")
    var maxTokens: Int?

    @Option(help: "Use every n-th photo only (in sorted order, so each folder keeps its share).")
    var every = 1

    @Argument(help: "Photos or directories of photos.")
    var photos: [String]

    func validate() throws {
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be positive") }
    }

    func run() throws {
        let float32 = try DilatedViTModel(contentsOf: URL(fileURLWithPath: weights))
        let bfloat16 = DilatedViTModel(config: float32.config, weights: float32.weights, precision: .bfloat16)
        noteSlowPrecisions([.bfloat16])
        let loader = SceneClassifier(model: float32).photoLoader(maxTokens: maxTokens)
        let labels = float32.config.labels
        let inputs = InputPaths.expand(photos)
        for skipped in inputs.skipped { printError("dvit: \(skipped)") }
        let paths = inputs.photos.enumerated().filter { $0.offset % every == 0 }.map(\.element)

        var comparison = Comparison()
        let clock = ContinuousClock()
        for path in paths {
            let grid: PatchGrid
            do { grid = try loader.load(contentsOf: path).grid } catch {
                printError("dvit: \(error)")
                continue
            }
            var exact = [Float](), rounded = [Float]()
            comparison.float32Seconds += clock.measure { exact = float32.logits(for: grid) }.inSeconds
            comparison.bfloat16Seconds += clock.measure { rounded = bfloat16.logits(for: grid) }.inSeconds
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
            comparison.add(path: path, exact: exact, rounded: rounded, truth: labels.firstIndex(of: folder))
        }
        print(comparison.report())
    }

    /// Running totals over the photos.
    struct Comparison {
        var photos = 0
        var largest: (difference: Float, path: String) = (0, "")
        var differenceSum = 0.0
        var agreements = 0
        var labelled = 0
        var correct = (float32: 0, bfloat16: 0)
        var float32Seconds = 0.0
        var bfloat16Seconds = 0.0

        mutating func add(path: String, exact: [Float], rounded: [Float], truth: Int?) {
            let difference = zip(exact, rounded).map { abs($0 - $1) }.max() ?? 0
            photos += 1
            differenceSum += Double(difference)
            if difference > largest.difference { largest = (difference, path) }
            let top = (float32: Self.argmax(exact), bfloat16: Self.argmax(rounded))
            if top.float32 == top.bfloat16 { agreements += 1 }
            if let truth {
                labelled += 1
                if top.float32 == truth { correct.float32 += 1 }
                if top.bfloat16 == truth { correct.bfloat16 += 1 }
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
                lines.append("accuracy bf16     \(percent(correct.bfloat16, labelled))")
            }
            lines.append(String(format: "model time        fp32 %.2f s, bf16 %.2f s: bf16 %.2f× faster",
                                float32Seconds, bfloat16Seconds, float32Seconds / bfloat16Seconds))
            return lines.joined(separator: "\n")
        }

        private static func argmax(_ values: [Float]) -> Int {
            values.indices.max { values[$0] < values[$1] } ?? 0
        }
    }
}

import ArgumentParser
import DilatedViT
import DilatedViTTools
import DilatedViTTraining
import Foundation

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training throughput (images/s) of full steps, beside PyTorch on the same model and batch.",
        discussion: """
            A step is forward, backward, gradient clipping and the AdamW update on one random \
            batch of the reference model size (D 192, depth 6, heads 6, patch 8). With \
            --precisions fp32,bf16 each precision trains its own copy of the model, the two \
            taking turns step by step, and the bf16/fp32 ratio follows. With --python, \
            reference/bench_train_torch.py (2 threads) runs the same batch afterwards, beside \
            the first precision listed.

            Example:
              dvit bench train --batch 64 --side 12 --steps 3 \\
                --python /path/to/venv/bin/python
              dvit bench train --batch 64 --side 12 --steps 3 --precisions fp32,bf16
            """)

    @Option(help: "Photos per batch.") var batch = 64
    @Option(help: "Grid side in patches (12 = 96-px crops at patch 8).") var side = 12
    @Option(help: "Timed steps after one warm-up step.") var steps = 3
    @Option(help: "Python with torch: also time the PyTorch reference.") var python: String?
    @Option(help: "Patch embedding: linear, or hmlp (Swift only).") var patchEmbedding: PatchEmbedding = .linear
    @Option(help: "Comma-separated Linear-layer precisions, timed in turns: fp32, bf16 (mixed precision).")
    var precisions = "fp32"

    @Option(help: "Architecture: v1, or v2 (levels to the grid, normalised position code, attention pooling).")
    var model = ForwardBenchmark.ModelVersion.v1

    func validate() throws {
        guard batch > 0, side > 0, steps > 0 else { throw ValidationError("--batch, --side and --steps must be positive") }
        if python != nil && patchEmbedding != .linear {
            throw ValidationError("--python times the linear patch embedding only; leave out --patch-embedding")
        }
        try requireTrainingPrecision(try parseNamedList(precisions, option: "--precisions"), option: "--precisions")
    }

    func run() throws {
        let precisionList: [MatmulPrecision] = try parseNamedList(precisions, option: "--precisions")
        noteSlowPrecisions(precisionList)
        let measurements = TrainingBenchmark.measure(
            precisions: precisionList, config: ForwardBenchmark.standardConfig(patchEmbedding: patchEmbedding, version: model),
            batch: batch, rows: side, columns: side, steps: steps)
        for measurement in measurements { print(measurement) }
        let baseline = measurements[0]
        for other in measurements.dropFirst() where other.precision != baseline.precision {
            print(String(format: "%@ / %@ speed: best %.2f×, mean %.2f×", other.precision.rawValue,
                         baseline.precision.rawValue, other.bestImagesPerSecond / baseline.bestImagesPerSecond,
                         other.imagesPerSecond / baseline.imagesPerSecond))
        }
        let swift = baseline
        guard let python else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["reference/bench_train_torch.py", "--batch", "\(batch)", "--side", "\(side)",
                             "--steps", "\(steps)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = output.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let images = object["img_per_s_best"] as? Double
        else {
            throw ValidationError("the PyTorch benchmark failed; its output was:\n\(output)")
        }
        print(String(format: "pytorch train batch %d grid %d×%d: best %.1f img/s", batch, side, side, images))
        print(String(format: "swift / pytorch (best steps): %.2f×", swift.bestImagesPerSecond / images))
    }
}

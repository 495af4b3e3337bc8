import ArgumentParser
import DilatedViT
import Foundation

/// The weights folder read when `--weights` is not given: `$DVIT_WEIGHTS`, else `weights` in the
/// working directory. `scripts/dvit` sets `DVIT_WEIGHTS` to the repository's `weights/` when
/// it is unset, so `scripts/dvit classify ~/photos` works from any folder.
let defaultWeightsFolder = ProcessInfo.processInfo.environment["DVIT_WEIGHTS"].flatMap { $0.isEmpty ? nil : $0 } ?? "weights"

/// The `--weights` help of every command that reads a model.
let weightsHelp = ArgumentHelp("Weights directory holding config.json and model.safetensors; $DVIT_WEIGHTS when set.")

/// `--weights`, shared by the commands that need the model.
struct ModelLocation: ParsableArguments {
    @Option(help: weightsHelp)
    var weights = defaultWeightsFolder

    @Option(help: "Linear-layer products in bf16 (the default where the CPU has AVX512-BF16: about twice as fast), fp32 (exact; the default elsewhere) or int8 (opt-in: weights per channel, inputs per token; AVX512-VNNI). See dvit bench precision.")
    var precision = MatmulPrecision.fastest

    /// The classifier, with the memory and file-size limits of `reading` when given.
    func loadClassifier(reading: InferenceOptions? = nil) throws -> SceneClassifier {
        for file in ["config.json", "model.safetensors"] where !FileManager.default.fileExists(atPath: weights + "/" + file) {
            throw ValidationError("no model in \(weights)/: \(file) is missing (expected config.json and model.safetensors; give --weights DIR, set DVIT_WEIGHTS, or run from the repository root)")
        }
        let model = try DilatedViTModel(contentsOf: URL(fileURLWithPath: weights), precision: precision)
        guard let reading else { return SceneClassifier(model: model) }
        return SceneClassifier(model: model, memoryBudget: MemoryBudget(limitBytes: reading.memoryLimit.bytes),
                               maxFileBytes: reading.maxFileSize.bytes)
    }
}

/// The per-photo settings shared by classify, embed and evaluate.
struct InferenceOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Token budget of the working resolution (default: the model's; 0 = native). A Model v2 (weights-v2/) keeps its accuracy with more tokens; a Model v1 (weights/) loses it above its own budget.")
    var maxTokens: Int?

    @Flag(inversion: .prefixedNo,
          help: "Read photos smaller than the token budget upscaled to it (off: the shipped model reads them better at their own size).")
    var upscale = false

    @Flag(help: "Use dense attention instead of the model's dilated attention (for comparison).")
    var dense = false

    @Flag(help: "Also read each photo mirrored left and right and average the two predictions (twice the model time; see the model card for the accuracy it adds).")
    var mirrorAverage = false

    @Option(help: ArgumentHelp("Memory the photos being read at once may use (e.g. 8G, 500M; default: 60% of physical or cgroup memory).",
                               discussion: "A photo whose estimated need is larger fails with an error that names the estimate."))
    var memoryLimit = ByteSize(bytes: MemoryBudget.defaultLimitBytes)

    @Option(help: "Largest photo file read (e.g. 2G); larger files are refused unread.")
    var maxFileSize = ByteSize(bytes: DecodeOptions.defaultMaxFileBytes)

    func validate() throws {
        if let maxTokens, maxTokens < 0 { throw ValidationError("--max-tokens must be 0 (native) or positive, got \(maxTokens)") }
    }

    func classificationOptions(topK: Int = 1) -> ClassificationOptions {
        ClassificationOptions(topK: topK, maxTokens: maxTokens, allowsUpscaling: upscale,
                              attention: dense ? .dense : nil, averagesMirroredView: mirrorAverage)
    }
}

/// A size on the command line: bytes, or a number with K, M, G or T (powers of 1024; an
/// optional `i` and `B` are accepted: `8G`, `8GiB`, `512MB`).
struct ByteSize: ExpressibleByArgument {
    var bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        var text = argument.uppercased()
        if text.hasSuffix("B") { text.removeLast() }
        if text.hasSuffix("I") { text.removeLast() }
        let powers: [Character: Int] = ["K": 1, "M": 2, "G": 3, "T": 4]
        var scale = 1.0
        if let unit = text.last, let power = powers[unit] {
            scale = pow(1024, Double(power))
            text.removeLast()
        }
        guard let number = Double(text), number > 0, (number * scale).isFinite, number * scale < 9e18 else { return nil }
        bytes = max(1, Int(number * scale))
    }

    var defaultValueDescription: String { "\(bytes / (1 << 20)) MiB" }
}

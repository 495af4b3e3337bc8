import ArgumentParser
import DilatedViT
import Foundation

/// `--weights`, shared by the commands that need the model.
struct ModelLocation: ParsableArguments {
    @Option(help: "Weights directory holding config.json and model.safetensors.")
    var weights = "weights"

    @Option(help: "Linear-layer products in bf16 (the default where the CPU has AVX512-BF16: about twice as fast) or fp32 (exact; the default elsewhere). See dvit bench precision.")
    var precision = MatmulPrecision.fastest

    func loadClassifier() throws -> SceneClassifier {
        guard FileManager.default.fileExists(atPath: weights + "/model.safetensors") else {
            throw ValidationError("no model in \(weights)/: expected config.json and model.safetensors there (see --weights)")
        }
        return SceneClassifier(model: try DilatedViTModel(contentsOf: URL(fileURLWithPath: weights), precision: precision))
    }
}

/// The per-photo settings shared by classify, embed and evaluate.
struct InferenceOptions: ParsableArguments {
    @Option(help: "Token budget of the working resolution (default: the model's; 0 = native).")
    var maxTokens: Int?

    @Flag(inversion: .prefixedNo,
          help: "Read photos smaller than the token budget upscaled to it (off: the shipped model reads them better at their own size).")
    var upscale = false

    @Flag(help: "Use dense attention instead of the model's dilated attention (for comparison).")
    var dense = false

    @Flag(help: "Also read each photo mirrored left and right and average the two predictions (twice the model time; see the model card for the accuracy it adds).")
    var mirrorAverage = false

    func validate() throws {
        if let maxTokens, maxTokens < 0 { throw ValidationError("--max-tokens must be 0 (native) or positive") }
    }

    func classificationOptions(topK: Int = 1) -> ClassificationOptions {
        ClassificationOptions(topK: topK, maxTokens: maxTokens, allowsUpscaling: upscale,
                              attention: dense ? .dense : nil, averagesMirroredView: mirrorAverage)
    }
}

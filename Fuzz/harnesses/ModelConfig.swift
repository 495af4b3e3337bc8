// libFuzzer harness: arbitrary bytes as a model config.json. A config that validates must
// also be usable: everything the weight loader derives from it is computed here, and it
// must round-trip through its own JSON.
import DilatedViT
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let config = try? ModelConfig(jsonData: Data(bytes: data, count: size)) else { return 0 }
    _ = (config.headDimension, config.hiddenDimension, config.patchFeatures, config.classCount)
    let shapes = ModelWeights.expectedShapes(for: config)
    // Norm, head, the blocks, and the embedding: one Linear, or log₂ p stem stages with a
    // LayerNorm after all but the last.
    let stemStages = config.patchSize.trailingZeroBitCount
    let embedding = config.patchEmbedding == .linear ? 2 : 4 * stemStages - 2
    precondition(shapes.count == 4 + embedding + 12 * config.depth, "tensor count")
    _ = ModelWeights.expectedByteCount(for: config, dtype: .bfloat16)
    let again = try! ModelConfig(jsonData: config.jsonData())
    precondition(again == config, "JSON round trip changed the config")
    return 0
}

// libFuzzer harness: arbitrary bytes as a safetensors file, then (when they parse) as the
// weights of a tiny model. Failures must be SafeTensorsError/ModelWeightsError values.
import DilatedViT
import Foundation

private let config = try! ModelConfig(dimension: 8, depth: 1, heads: 2, patchSize: 2, mlpRatio: 2,
                                      levels: [AttentionLevel(segment: 4, dilation: 1)],
                                      labels: ["a", "b"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let file = try? SafeTensors(data: bytes) else { return 0 }
    for (name, tensor) in file.tensors {
        precondition(tensor.values.count == tensor.shape.reduce(1, *), "\(name): element count")
    }
    // A file that parsed must survive a write/read round trip unchanged in shape.
    let again = try! SafeTensors(data: file.encoded())
    precondition(again.tensors.mapValues(\.shape) == file.tensors.mapValues(\.shape), "round trip")
    _ = try? ModelWeights(tensors: file.tensors, config: config)
    _ = try? ModelWeights(safeTensorsData: bytes, config: config)
    return 0
}

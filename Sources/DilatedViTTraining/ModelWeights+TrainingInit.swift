import Foundation
import DilatedViT

extension ModelWeights {
    /// Initial parameters for training from scratch, timm/MAE style and reproducible from
    /// `seed`: Linear weights (qkv, proj, fc1, fc2, head) truncated normal with std 0.02
    /// (cut at ±2 std), the convolution kernels — the patch embedding, or the hMLP stem's
    /// stages — Xavier-uniform on their `(out, in·k·k)` view (as MAE's patch embedding),
    /// all biases 0, LayerNorm weights 1 and biases 0.
    public init(trainingInitFor config: ModelConfig, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in Self.expectedShapes(for: config).sorted(by: { $0.key < $1.key }) {
            let count = shape.reduce(1, *)
            let values: [Float]
            if name.hasSuffix(".bias") {
                values = [Float](repeating: 0, count: count)
            } else if name == "norm.weight" || name.contains(".norm") {
                values = [Float](repeating: 1, count: count)
            } else if shape.count == 4 {
                let fanIn = count / shape[0], fanOut = shape[0]
                let bound = Float((6 / Double(fanIn + fanOut)).squareRoot())
                values = (0..<count).map { _ in bound * generator.nextSigned() }
            } else {
                values = (0..<count).map { _ in 0.02 * generator.nextTruncatedNormal() }
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        // The names and shapes come from `expectedShapes`, so validation cannot fail.
        try! self.init(tensors: tensors, config: config)
    }
}

extension SplitMix64 {
    /// A standard normal sample redrawn until it lies in [−2, 2] (Box–Muller in double).
    mutating func nextTruncatedNormal() -> Float {
        while true {
            let u1 = (Double(next() >> 11) + 1) / 9007199254740992   // (0, 1]
            let u2 = Double(next() >> 11) / 9007199254740992
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            if abs(z) <= 2 { return Float(z) }
        }
    }
}

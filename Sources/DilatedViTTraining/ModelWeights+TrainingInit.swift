import Foundation
import DilatedViT

extension ModelWeights {
    /// Initial parameters for training from scratch, timm/MAE style and reproducible from
    /// `seed`: Linear weights (qkv, proj, fc1, fc2, head) truncated normal with std 0.02
    /// (cut at ±2 std), the convolution kernels — the patch embedding, or the hMLP stem's
    /// stages — Xavier-uniform on their `(out, in·k·k)` view (as MAE's patch embedding),
    /// all biases 0, LayerNorm weights 1 and biases 0, attention pooling's scores 0 (so it
    /// starts as mean pooling).
    public init(trainingInitFor config: ModelConfig, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        self.init(config: config) { entry, _ in
            if entry.name.hasSuffix(".bias") || entry.name.hasPrefix("pool.") { return [Float](repeating: 0, count: entry.count) }
            if entry.name == "norm.weight" || entry.name.contains(".norm") { return [Float](repeating: 1, count: entry.count) }
            if entry.shape.count == 4 {
                let fanIn = entry.count / entry.shape[0], fanOut = entry.shape[0]
                let bound = Float((6 / Double(fanIn + fanOut)).squareRoot())
                return (0..<entry.count).map { _ in bound * generator.nextSigned() }
            }
            return (0..<entry.count).map { _ in 0.02 * generator.nextTruncatedNormal() }
        }
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

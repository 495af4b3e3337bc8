import Foundation

extension ModelWeights {
    /// Reproducible random parameters for `config`: Linear weights and biases uniform in
    /// `±1/√in` (PyTorch's default Linear range), LayerNorm weights `1 ± 0.1` and biases
    /// `±0.1` so that tests exercise the affine part. For tests, benchmarks and as a
    /// training starting point.
    public init(randomFor config: ModelConfig, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in Self.expectedShapes(for: config).sorted(by: { $0.key < $1.key }) {
            let count = shape.reduce(1, *)
            let values: [Float]
            if name.hasPrefix("norm") || name.contains(".norm") {
                let center: Float = name.hasSuffix(".weight") ? 1 : 0
                values = (0..<count).map { _ in center + 0.1 * generator.nextSigned() }
            } else {
                let weightName = name.replacingOccurrences(of: ".bias", with: ".weight")
                let inputs = Self.expectedShapes(for: config)[weightName]!.dropFirst().reduce(1, *)
                let bound = 1 / Float(inputs).squareRoot()
                values = (0..<count).map { _ in bound * generator.nextSigned() }
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        // The names and shapes come from `expectedShapes`, so validation cannot fail.
        try! self.init(tensors: tensors, config: config)
    }
}

/// A small, fast, seedable generator (Steele et al.'s SplitMix64), so random weights are
/// the same on every platform and run.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `[-1, 1)` with 24 random bits.
    public mutating func nextSigned() -> Float {
        Float(next() >> 40) / Float(1 << 23) - 1
    }

    /// The next `count` values of `nextSigned()`, in order.
    public mutating func signedValues(_ count: Int) -> [Float] {
        (0..<count).map { _ in nextSigned() }
    }
}

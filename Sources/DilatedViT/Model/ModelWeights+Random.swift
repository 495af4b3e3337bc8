import Foundation

extension ModelWeights {
    /// Reproducible random parameters for `config`: Linear weights and biases uniform in
    /// `±1/√in` (PyTorch's default Linear range), LayerNorm weights `1 ± 0.1` and biases
    /// `±0.1` so that tests exercise the affine part. For tests, benchmarks and as a
    /// training starting point.
    public init(randomFor config: ModelConfig, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        self.init(config: config) { entry, layout in
            if entry.name.hasPrefix("norm") || entry.name.contains(".norm") {
                let center: Float = entry.name.hasSuffix(".weight") ? 1 : 0
                return (0..<entry.count).map { _ in center + 0.1 * generator.nextSigned() }
            }
            let weight = layout[entry.name.replacingOccurrences(of: ".bias", with: ".weight")]!
            let bound = 1 / Float(weight.shape.dropFirst().reduce(1, *)).squareRoot()
            return (0..<entry.count).map { _ in bound * generator.nextSigned() }
        }
    }

    /// The weights of `config` whose tensors, drawn in name order (so a seeded generator
    /// gives the same weights every time), are `values(entry, layout)`.
    package init(config: ModelConfig, values: (ParameterLayout.Entry, ParameterLayout) -> [Float]) {
        let layout = ParameterLayout(config: config)
        var arena: [Float] = []
        arena.reserveCapacity(layout.count)
        for entry in layout.entries { arena += values(entry, layout) }
        self.init(layout: layout, values: arena)
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

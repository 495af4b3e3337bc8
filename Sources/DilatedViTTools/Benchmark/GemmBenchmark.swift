import DilatedViT

/// Times the model's Linear-layer products in fp32 (OpenBLAS through `sgemm`) and in BF16
/// (`PackedBF16Weight`), both split into row bands on every core, interleaved round by
/// round so that load from other processes hits both alike.
public enum GemmBenchmark {
    public struct Result: Sendable, Codable {
        public let rows: Int
        public let inputs: Int
        public let outputs: Int
        /// Best of the rounds, `2·rows·inputs·outputs` per product.
        public let float32GFLOPS: Double
        public let bfloat16GFLOPS: Double
        /// `max |y_bf16 − y_fp32| / max |y_fp32|`: a check that both computed the same product.
        public let relativeDifference: Double

        public var speedup: Double { bfloat16GFLOPS / float32GFLOPS }
    }

    /// `(name, inputs, outputs)` of the reference model's Linear layers (D 192, MLP ×4).
    public static let modelLayers: [(name: String, inputs: Int, outputs: Int)] = [
        ("qkv", 192, 576), ("proj", 192, 192), ("fc1", 192, 768), ("fc2", 768, 192),
    ]

    /// Whether the BF16 side runs the AVX512-BF16 kernel (otherwise the slow portable one).
    public static var isAccelerated: Bool { MatmulPrecision.bfloat16.isAccelerated }

    /// `rounds` rounds, each timing both products over at least `roundSeconds` apiece.
    public static func measure(rows: Int, inputs: Int, outputs: Int, rounds: Int = 5,
                               roundSeconds: Double = 0.1) -> Result {
        precondition(rows > 0 && inputs > 0 && outputs > 0 && rounds > 0)
        var inputGenerator = SplitMix64(seed: 1), weightGenerator = SplitMix64(seed: 2)
        let x = inputGenerator.signedValues(rows * inputs)
        let weight = Matrix(rows: outputs, columns: inputs, values: weightGenerator.signedValues(outputs * inputs))
        let packed = PackedBF16Weight(weight)
        var exact = [Float](repeating: 0, count: rows * outputs), rounded = exact

        let float32 = { (y: UnsafeMutablePointer<Float>) in
            x.withUnsafeBufferPointer { x in
                weight.values.withUnsafeBufferPointer { w in
                    sgemm(transposeB: true, m: rows, n: outputs, k: inputs, a: x.baseAddress!, lda: inputs,
                          b: w.baseAddress!, ldb: inputs, c: y, ldc: outputs)
                }
            }
        }
        let bfloat16 = { (y: UnsafeMutablePointer<Float>) in packed.apply(x, rows: rows, bias: nil, into: y) }

        let flops = 2 * Double(rows) * Double(inputs) * Double(outputs)
        var best = (float32: Double.infinity, bfloat16: Double.infinity)
        exact.withUnsafeMutableBufferPointer { y in
            rounded.withUnsafeMutableBufferPointer { z in
                // Warm-up, and the repetitions that fill a round.
                let once = min(secondsPerCall(float32, y.baseAddress!), secondsPerCall(bfloat16, z.baseAddress!))
                let repetitions = max(1, Int(roundSeconds / max(once, 1e-9)))
                for _ in 0..<rounds {
                    best.float32 = min(best.float32, secondsPerCall(float32, y.baseAddress!, repetitions))
                    best.bfloat16 = min(best.bfloat16, secondsPerCall(bfloat16, z.baseAddress!, repetitions))
                }
            }
        }
        let scale = exact.map(abs).max() ?? 0
        let difference = zip(exact, rounded).map { abs($0 - $1) }.max() ?? 0
        return Result(rows: rows, inputs: inputs, outputs: outputs,
                      float32GFLOPS: flops / best.float32 / 1e9, bfloat16GFLOPS: flops / best.bfloat16 / 1e9,
                      relativeDifference: scale > 0 ? Double(difference / scale) : 0)
    }

    private static func secondsPerCall(_ product: (UnsafeMutablePointer<Float>) -> Void,
                                       _ y: UnsafeMutablePointer<Float>, _ repetitions: Int = 1) -> Double {
        let clock = ContinuousClock()
        return clock.measure { for _ in 0..<repetitions { product(y) } }.inSeconds / Double(repetitions)
    }
}

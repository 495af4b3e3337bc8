import DilatedViT

/// Times the model's Linear-layer products in every form a layer's weight takes — OpenBLAS
/// `sgemm` (training's fp32, and inference without AVX-512), and the library's own fp32,
/// BF16 and int8 kernels from weights packed once — all split into row bands on every core
/// and interleaved round by round, so that load from other processes hits them alike.
public enum GemmBenchmark {
    /// The products timed, in column order.
    public enum Kernel: String, CaseIterable, Sendable, Codable {
        case sgemm, fp32, bf16, int8
    }

    public struct Result: Sendable, Codable {
        public let rows: Int
        public let inputs: Int
        public let outputs: Int
        /// Best of the rounds, `2·rows·inputs·outputs` per product, by kernel.
        public let gflops: [Kernel: Double]
        /// `max |y − y_sgemm| / max |y_sgemm|` by kernel: a check that all computed the same product.
        public let relativeDifference: [Kernel: Double]
    }

    /// `(name, inputs, outputs)` of the reference model's Linear layers (D 192, MLP ×4).
    public static let modelLayers: [(name: String, inputs: Int, outputs: Int)] = [
        ("qkv", 192, 576), ("proj", 192, 192), ("fc1", 192, 768), ("fc2", 768, 192),
    ]

    /// The kernels slower than they should be on this CPU (their portable fallbacks run).
    public static var unaccelerated: [Kernel] {
        Kernel.allCases.filter { kernel in
            switch kernel {
            case .sgemm: false
            case .fp32: !PackedFloat32Weight.isAccelerated
            case .bf16: !MatmulPrecision.bfloat16.isAccelerated
            case .int8: !MatmulPrecision.int8.isAccelerated
            }
        }
    }

    /// `rounds` rounds, each timing every product over at least `roundSeconds` apiece.
    public static func measure(rows: Int, inputs: Int, outputs: Int, rounds: Int = 5,
                               roundSeconds: Double = 0.1) -> Result {
        precondition(rows > 0 && inputs > 0 && outputs > 0 && rounds > 0)
        var inputGenerator = SplitMix64(seed: 1), weightGenerator = SplitMix64(seed: 2)
        let x = inputGenerator.signedValues(rows * inputs)
        let weight = weightGenerator.signedValues(outputs * inputs), bias = [Float](repeating: 0, count: outputs)
        let layers: [Kernel: Linear] = Dictionary(uniqueKeysWithValues: Kernel.allCases.map { kernel in
            (kernel, weight.withUnsafeBufferPointer { w in
                switch kernel {
                case .sgemm: Linear(arena: weight, offset: 0, outputs: outputs, inputs: inputs, bias: bias)
                case .fp32: Linear(packing: w.baseAddress!, outputs: outputs, inputs: inputs, bias: bias, for: .float32)
                case .bf16: Linear(packing: w.baseAddress!, outputs: outputs, inputs: inputs, bias: bias, for: .bfloat16)
                case .int8: Linear(packing: w.baseAddress!, outputs: outputs, inputs: inputs, bias: bias, for: .int8)
                }
            })
        })
        var results = [Kernel: [Float]](uniqueKeysWithValues: Kernel.allCases.map {
            ($0, [Float](repeating: 0, count: rows * outputs))
        })
        func secondsPerCall(_ kernel: Kernel, _ repetitions: Int = 1) -> Double {
            let layer = layers[kernel]!
            return results[kernel]!.withUnsafeMutableBufferPointer { y in
                ContinuousClock().measure {
                    for _ in 0..<repetitions { layer.apply(x, rows: rows, into: y.baseAddress!) }
                }.inSeconds / Double(repetitions)
            }
        }
        // Warm-up, and the repetitions that fill a round.
        let once = Kernel.allCases.map { secondsPerCall($0) }.min()!
        let repetitions = max(1, Int(roundSeconds / max(once, 1e-9)))
        var best = [Kernel: Double]()
        for _ in 0..<rounds {
            for kernel in Kernel.allCases {
                best[kernel] = min(best[kernel] ?? .infinity, secondsPerCall(kernel, repetitions))
            }
        }
        let flops = 2 * Double(rows) * Double(inputs) * Double(outputs)
        let exact = results[.sgemm]!, scale = exact.map(abs).max() ?? 0
        return Result(rows: rows, inputs: inputs, outputs: outputs,
                      gflops: best.mapValues { flops / $0 / 1e9 },
                      relativeDifference: results.mapValues { y in
                          scale > 0 ? Double(zip(exact, y).map { abs($0 - $1) }.max()! / scale) : 0
                      })
    }
}

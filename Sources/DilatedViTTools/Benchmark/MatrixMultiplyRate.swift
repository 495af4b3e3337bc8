import DilatedViT

/// The rate the machine's BLAS reaches on a large single-precision product, through the
/// same `sgemm` the model uses (all cores): the yardstick for the model's own FLOP rate.
public enum MatrixMultiplyRate {
    /// Best GFLOP/s of `repetitions` `size × size × size` products after one warm-up.
    public static func measure(size: Int = 2048, repetitions: Int = 5) -> Double {
        precondition(size > 0 && repetitions > 0)
        var generator = SplitMix64(seed: 3)
        let a = generator.signedValues(size * size)
        let b = generator.signedValues(size * size)
        var c = [Float](repeating: 0, count: size * size)
        let clock = ContinuousClock()
        var best = Double.infinity
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    for pass in 0...repetitions {
                        let seconds = clock.measure {
                            sgemm(m: size, n: size, k: size, a: a.baseAddress!, lda: size,
                                  b: b.baseAddress!, ldb: size, c: c.baseAddress!, ldc: size)
                        }.inSeconds
                        if pass > 0 { best = min(best, seconds) }
                    }
                }
            }
        }
        return 2 * Double(size) * Double(size) * Double(size) / best / 1e9
    }
}

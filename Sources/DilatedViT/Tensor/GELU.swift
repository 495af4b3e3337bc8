import Foundation

/// The exact GELU, `x · Φ(x) = ½·x·(1 + erf(x/√2))` (PyTorch's default, not the tanh
/// approximation).
@inline(__always) func gelu(_ x: Float) -> Float {
    0.5 * x * (1 + erff(x * 0.70710678118654752))
}

/// `x ← GELU(x + bias)` over `rows × columns`, in parallel over rows: `erff` is the
/// most expensive per-element step of the MLP, so it deserves both cores.
func addBiasAndGELU(_ bias: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>,
                    rows: Int, columns: Int) {
    parallelChunks(rows, chunksPerWorker: 2) { range in
        for r in range {
            let row = matrix + r * columns
            for c in 0..<columns { row[c] = gelu(row[c] + bias[c]) }
        }
    }
}

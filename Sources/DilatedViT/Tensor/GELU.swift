import CKernels

/// The exact GELU, `x · Φ(x) = ½·x·(1 + erf(x/√2))` (PyTorch's default, not the tanh
/// approximation), on 16 lanes.
@inline(__always) func gelu(_ x: FloatVector) -> FloatVector {
    0.5 * x * (1 + errorFunction(x * 0.70710678118654752))
}

/// Scalar GELU through the same vector code, so every element of a row is computed the same way.
@inline(__always) func gelu(_ x: Float) -> Float {
    gelu(FloatVector(repeating: x))[0]
}

/// `erf(x)` on 16 lanes: the odd/even rational fit used by Eigen and XLA for float
/// (degree 13 over degree 8 in x, inputs clamped to ±4, where erf is ±1 in float).
/// Absolute error ≤ 4.2e-7 over the real line (GELU error ≤ 7e-7); the scalar libm
/// `erff` it replaces was a third of the MLP's time.
@inline(__always) func errorFunction(_ input: FloatVector) -> FloatVector {
    let x = clampMagnitude(input, to: 4)
    let x2 = x * x
    var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
    p = p * x2 - 2.10102402082508e-06
    p = p * x2 - 5.69250639462346e-05
    p = p * x2 - 7.34990630326855e-04
    p = p * x2 - 2.95459980854025e-03
    p = p * x2 - 1.60960333262415e-02
    p = p * x
    var q = x2 * -1.45660718464996e-05 - 2.13374055278905e-04
    q = q * x2 - 1.68282697438203e-03
    q = q * x2 - 7.37332916720468e-03
    q = q * x2 - 1.42647390514189e-02
    return p / q
}

/// `output[i] = GELU(input[i])` for `count` floats on the calling thread (native kernel
/// `ck_add_bias_gelu`, the same arithmetic as `gelu(_:)`); `output` may equal `input`.
func gelu(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
    if input != UnsafePointer(output) { output.update(from: input, count: count) }
    ck_add_bias_gelu(1, count, nil, output)
}

/// `x ← GELU(LN(x))` row by row, in place, in parallel over rows (the hMLP stem's inner
/// stages: many narrow rows, each normalised and activated while in cache).
func layerNormAndGELU(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
    parallelChunks(rows, chunksPerWorker: 2) { range in
        let start = matrix + range.lowerBound * columns
        layerNorm(start, into: start, rows: range.count, columns: columns, weight: weight, bias: bias, epsilon: epsilon)
        gelu(start, into: start, count: range.count * columns)
    }
}

/// `x ← GELU(x + bias)` over `rows × columns`, in parallel over rows.
func addBiasAndGELU(_ bias: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>,
                    rows: Int, columns: Int) {
    forEachRowBand(rows) { start, end in
        ck_add_bias_gelu(end - start, columns, bias, matrix + start * columns)
    }
}

import CKernels

/// `output[i] = GELU(input[i])`, the exact erf form (PyTorch's default, not the tanh
/// approximation), for `count` floats on the calling thread (native kernel
/// `ck_add_bias_gelu`); `output` may equal `input`.
package func gelu(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
    if input != UnsafePointer(output) { output.update(from: input, count: count) }
    ck_add_bias_gelu(1, count, nil, output)
}

/// `x ← GELU(LN(x))` row by row, in place, in parallel over rows (the hMLP stem's inner
/// stages: many narrow rows, each normalised and activated while in cache).
func layerNormAndGELU(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
    parallelChunks(rows, chunksPerWorker: 2) { range in
        let start = matrix + range.lowerBound * columns
        ck_layer_norm(range.count, columns, start, start, weight, bias, epsilon)
        ck_add_bias_gelu(range.count, columns, nil, start)
    }
}

/// `x ← GELU(x + bias)` over `rows × columns`, in parallel over rows.
func addBiasAndGELU(_ bias: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>,
                    rows: Int, columns: Int) {
    forEachRowBand(rows) { start, end in
        ck_add_bias_gelu(end - start, columns, bias, matrix + start * columns)
    }
}

import CKernels

/// PyTorch `nn.LayerNorm` over rows of width `columns`:
/// `y = (x − mean) / sqrt(var + eps) · weight + bias`, with the biased variance, in
/// parallel over rows (native kernel `ck_layer_norm`). `output` may equal `input`.
func layerNorm(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
               rows: Int, columns: Int,
               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
    forEachRowBand(rows) { start, end in
        ck_layer_norm(end - start, columns, input + start * columns, output + start * columns,
                      weight, bias, epsilon)
    }
}

/// `layerNorm` over the rows of `runs` in `input`, written contiguously into `output`.
func layerNorm(_ input: UnsafePointer<Float>, runs: StridedRows, into output: UnsafeMutablePointer<Float>,
               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
    let width = runs.width
    guard !runs.areContiguous else {
        layerNorm(input, into: output, rows: runs.count * runs.length, columns: width,
                  weight: weight, bias: bias, epsilon: epsilon)
        return
    }
    parallelChunks(runs.count, chunksPerWorker: 1) { range in
        for run in range {
            ck_layer_norm(runs.length, width, input + run * runs.stride * width,
                          output + run * runs.length * width, weight, bias, epsilon)
        }
    }
}

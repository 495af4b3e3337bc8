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

/// The mean and `1/sqrt(var + eps)` of one row: two passes (mean, then squared
/// deviations) rather than `E[x²] − E[x]²`, which loses digits far from zero, as
/// `ck_layer_norm` does for inference.
@inline(__always)
package func layerNormStatistics(_ x: UnsafePointer<Float>, columns: Int, epsilon: Float)
    -> (mean: Float, inverseDeviation: Float)
{
    let vectorEnd = columns / floatVectorWidth * floatVectorWidth
    let count = Float(columns)
    var sumVector = FloatVector()
    var c = 0
    while c < vectorEnd { sumVector += x.loadVector(at: c); c += floatVectorWidth }
    var sum = sumVector.sum()
    while c < columns { sum += x[c]; c += 1 }
    let mean = sum / count

    var squaresVector = FloatVector()
    c = 0
    while c < vectorEnd {
        let d = x.loadVector(at: c) - mean
        squaresVector += d * d
        c += floatVectorWidth
    }
    var squares = squaresVector.sum()
    while c < columns { let d = x[c] - mean; squares += d * d; c += 1 }
    return (mean, 1 / (squares / count + epsilon).squareRoot())
}

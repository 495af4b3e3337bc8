/// PyTorch `nn.LayerNorm` over rows of width `columns`:
/// `y = (x − mean) / sqrt(var + eps) · weight + bias`, with the biased variance.
/// `output` may equal `input`.
func layerNorm(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
               rows: Int, columns: Int,
               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
    let vectorEnd = columns / floatVectorWidth * floatVectorWidth
    for r in 0..<rows {
        let x = input + r * columns
        let y = output + r * columns
        let (mean, inverseDeviation) = layerNormStatistics(x, columns: columns, epsilon: epsilon)
        var c = 0
        while c < vectorEnd {
            let normalised = (x.loadVector(at: c) - mean) * inverseDeviation
            y.storeVector(normalised * weight.loadVector(at: c) + bias.loadVector(at: c), at: c)
            c += floatVectorWidth
        }
        while c < columns { y[c] = (x[c] - mean) * inverseDeviation * weight[c] + bias[c]; c += 1 }
    }
}

/// The mean and `1/sqrt(var + eps)` of one row: two passes (mean, then squared
/// deviations) rather than `E[x²] − E[x]²`, which loses digits far from zero. Shared by
/// inference and training so both normalise identically.
@inline(__always)
func layerNormStatistics(_ x: UnsafePointer<Float>, columns: Int, epsilon: Float)
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

import CKernels
import Foundation
import DilatedViT

// Row-parallel kernels of the training forward and backward passes. Matrices are
// row-major with row stride = width; every loop splits rows (or column reductions into
// per-chunk partial sums added in a fixed order), so results do not depend on timing.

/// The number of row chunks reductions use: fixed per machine, so sums are reproducible.
private let reductionChunks = parallelWorkerCount * 2

/// LayerNorm forward that keeps what the backward needs: `normalised = (x − μ)·ρ`
/// (`rows × columns`), `inverseDeviation[r] = ρ = 1/sqrt(σ² + eps)`, and the output
/// `y = normalised·weight + bias`. Same statistics as the inference `layerNorm`; `output`
/// may equal `input`.
func layerNormForward(_ input: UnsafePointer<Float>, rows: Int, columns: Int,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float,
                      normalised: UnsafeMutablePointer<Float>, inverseDeviation: UnsafeMutablePointer<Float>,
                      output: UnsafeMutablePointer<Float>) {
    forEachRowBand(rows) { start, end in
        ck_layer_norm_normalise(end - start, columns, input + start * columns, normalised + start * columns,
                                inverseDeviation + start, epsilon)
    }
    layerNormAffine(normalised, rows: rows, columns: columns, weight: weight, bias: bias, output: output)
}

/// `output = normalised·weight + bias` row by row (recomputes a LayerNorm output from its
/// saved normalised input instead of storing both).
func layerNormAffine(_ normalised: UnsafePointer<Float>, rows: Int, columns: Int,
                     weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                     output: UnsafeMutablePointer<Float>) {
    let vectorEnd = columns / floatVectorWidth * floatVectorWidth
    parallelChunks(rows) { range in
        for r in range {
            let xhat = normalised + r * columns, y = output + r * columns
            var c = 0
            while c < vectorEnd {
                y.storeVector(xhat.loadVector(at: c) * weight.loadVector(at: c) + bias.loadVector(at: c), at: c)
                c += floatVectorWidth
            }
            while c < columns { y[c] = xhat[c] * weight[c] + bias[c]; c += 1 }
        }
    }
}

/// LayerNorm backward. With `ĝ = dy·weight`:
/// `dx = ρ·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`, `dweight += Σ_rows dy·x̂`, `dbias += Σ_rows dy`.
/// `dx` is added to `inputGradient` when `accumulate` (the residual stream's gradient),
/// written otherwise.
func layerNormBackward(outputGradient dy: UnsafePointer<Float>, normalised: UnsafePointer<Float>,
                       inverseDeviation: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       rows: Int, columns: Int,
                       inputGradient dx: UnsafeMutablePointer<Float>, accumulate: Bool,
                       weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>) {
    let chunks = min(rows, reductionChunks)
    guard chunks > 0 else { return }
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * 2 * columns)
    defer { partials.deallocate() }
    partials.initialize(repeating: 0, count: chunks * 2 * columns)
    let inverseCount = 1 / Float(columns)
    parallelFor(chunks) { chunk in
        let dw = partials + chunk * 2 * columns, db = dw + columns
        for r in (rows * chunk / chunks)..<(rows * (chunk + 1) / chunks) {
            let g = dy + r * columns, xhat = normalised + r * columns, out = dx + r * columns
            var meanG: Float = 0, meanGX: Float = 0
            for c in 0..<columns {
                let gc = g[c] * weight[c]
                meanG += gc
                meanGX += gc * xhat[c]
                dw[c] += g[c] * xhat[c]
                db[c] += g[c]
            }
            meanG *= inverseCount
            meanGX *= inverseCount
            let rho = inverseDeviation[r]
            if accumulate {
                for c in 0..<columns { out[c] += rho * (g[c] * weight[c] - meanG - xhat[c] * meanGX) }
            } else {
                for c in 0..<columns { out[c] = rho * (g[c] * weight[c] - meanG - xhat[c] * meanGX) }
            }
        }
    }
    for chunk in 0..<chunks {
        addInPlace(partials + chunk * 2 * columns, to: weightGradient, count: columns)
        addInPlace(partials + chunk * 2 * columns + columns, to: biasGradient, count: columns)
    }
}

/// `sums[c] += Σ_r matrix[r][c]` (a bias gradient), in fixed-order partial sums.
func addColumnSums(of matrix: UnsafePointer<Float>, rows: Int, columns: Int, to sums: UnsafeMutablePointer<Float>) {
    let chunks = min(rows, reductionChunks)
    guard chunks > 0 else { return }
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * columns)
    defer { partials.deallocate() }
    partials.initialize(repeating: 0, count: chunks * columns)
    parallelFor(chunks) { chunk in
        let partial = partials + chunk * columns
        for r in (rows * chunk / chunks)..<(rows * (chunk + 1) / chunks) {
            addInPlace(matrix + r * columns, to: partial, count: columns)
        }
    }
    for chunk in 0..<chunks { addInPlace(partials + chunk * columns, to: sums, count: columns) }
}

/// A Linear layer's forward on `rows` rows: `output (=|+=) input·Wᵀ + b`, in fp32
/// (`LinearProducts` chooses between this and BF16).
func linearForward(_ input: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
                   weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                   into output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
    sgemm(transposeB: true, m: rows, n: outputs, k: inputs, a: input, lda: inputs, b: weight, ldb: inputs,
          beta: accumulate ? 1 : 0, c: output, ldc: outputs)
    parallelChunks(rows, chunksPerWorker: 1) { range in
        addRowVector(bias, to: output + range.lowerBound * outputs, rows: range.count, columns: outputs)
    }
}

/// A Linear layer's backward in fp32: `dW += dYᵀ·X`, `db += Σ_rows dY`, and, when
/// `inputGradient` is given, `dX (=|+=) dY·W`. `dW` comes first, so `inputGradient` may
/// be `input`'s buffer.
func linearBackward(outputGradient dy: UnsafePointer<Float>, input: UnsafePointer<Float>,
                    rows: Int, inputs: Int, outputs: Int, weight: UnsafePointer<Float>,
                    weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                    inputGradient: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false) {
    sgemm(transposeA: true, m: outputs, n: inputs, k: rows, a: dy, lda: outputs, b: input, ldb: inputs,
          beta: 1, c: weightGradient, ldc: inputs)
    addColumnSums(of: dy, rows: rows, columns: outputs, to: biasGradient)
    if let inputGradient {
        sgemm(m: rows, n: inputs, k: outputs, a: dy, lda: outputs, b: weight, ldb: inputs,
              beta: accumulateInput ? 1 : 0, c: inputGradient, ldc: inputs)
    }
}

/// `output = GELU(input)` (exact erf form, the inference kernel's arithmetic).
func geluForward(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
    elementwise(count) { start, end in gelu(input + start, into: output + start, count: end - start) }
}

/// Recomputes `activation = GELU(u)` and replaces `u` by `GELU′(u) = Φ(u) + u·φ(u)`, in one
/// pass (native kernel): the backward needs the activation for the FC2 weight gradient and
/// then only the derivative.
func geluActivationAndDerivative(_ preActivation: UnsafeMutablePointer<Float>,
                                 activation: UnsafeMutablePointer<Float>, count: Int) {
    elementwise(count) { start, end in
        ck_gelu_with_derivative(end - start, preActivation + start, activation + start)
    }
}

/// `values[i] *= factors[i]`.
func multiplyInPlace(_ values: UnsafeMutablePointer<Float>, by factors: UnsafePointer<Float>, count: Int) {
    elementwise(count) { start, end in
        var i = start
        while i + floatVectorWidth <= end {
            values.storeVector(values.loadVector(at: i) * factors.loadVector(at: i), at: i)
            i += floatVectorWidth
        }
        while i < end { values[i] *= factors[i]; i += 1 }
    }
}

/// Splits `0..<count` into vector-aligned ranges run in parallel.
private func elementwise(_ count: Int, _ body: (Int, Int) -> Void) {
    let vectors = (count + floatVectorWidth - 1) / floatVectorWidth
    parallelChunks(vectors, chunksPerWorker: 1) { range in
        body(range.lowerBound * floatVectorWidth, min(count, range.upperBound * floatVectorWidth))
    }
}

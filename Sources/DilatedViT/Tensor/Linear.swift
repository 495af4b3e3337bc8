/// A PyTorch `nn.Linear`: `weight` is `(out, in)`, `bias` has `out` entries.
///
/// With `bf16` panels (see `MatmulPrecision`), products run in BF16 with fp32
/// accumulation; without, through fp32 `sgemm`.
struct Linear: Sendable {
    let weight: Matrix
    let bias: [Float]
    /// The weight packed for the BF16 kernel, when this layer runs in BF16.
    let bf16: PackedBF16Weight?

    var inputs: Int { weight.columns }
    var outputs: Int { weight.rows }

    init(weight: Matrix, bias: [Float], bf16: PackedBF16Weight? = nil) {
        precondition(bias.count == weight.rows, "Linear: bias of \(bias.count) for \(weight.rows) outputs")
        precondition(bf16.map { $0.outputs == weight.rows && $0.inputs == weight.columns } ?? true,
                     "Linear: bf16 panels of another shape")
        self.weight = weight
        self.bias = bias
        self.bf16 = bf16
    }

    /// This layer computing its products at `precision` (packing the weight for BF16).
    func with(_ precision: MatmulPrecision) -> Linear {
        switch precision {
        case .float32: Linear(weight: weight, bias: bias)
        case .bfloat16: Linear(weight: weight, bias: bias, bf16: bf16 ?? PackedBF16Weight(weight))
        }
    }

    /// `output[i] = input[i] · Wᵀ + b` for `rows` input rows (row strides = widths).
    /// With `accumulate`, adds the result onto `output` instead (a residual connection).
    func apply(_ input: UnsafePointer<Float>, rows: Int,
               into output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        if let bf16 {
            // The BF16 kernel adds the bias as it stores.
            bias.withUnsafeBufferPointer { b in
                bf16.apply(input, rows: rows, bias: b.baseAddress, into: output, accumulate: accumulate)
            }
            return
        }
        applyWithoutBias(input, rows: rows, into: output, accumulate: accumulate)
        bias.withUnsafeBufferPointer { b in
            addRowVector(b.baseAddress!, to: output, rows: rows, columns: outputs)
        }
    }

    /// `output[i] (+)= input[i] · Wᵀ`, the bias left for the caller to fuse into what follows.
    func applyWithoutBias(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
                          accumulate: Bool = false) {
        if let bf16 {
            bf16.apply(input, rows: rows, bias: nil, into: output, accumulate: accumulate)
            return
        }
        weight.values.withUnsafeBufferPointer { w in
            sgemm(transposeB: true, m: rows, n: outputs, k: inputs,
                  a: input, lda: inputs, b: w.baseAddress!, ldb: inputs,
                  beta: accumulate ? 1 : 0, c: output, ldc: outputs)
        }
    }
}

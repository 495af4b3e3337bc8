/// A PyTorch `nn.Linear`: `weight` is `(out, in)`, `bias` has `out` entries.
///
/// With `bf16` panels (see `MatmulPrecision`), products run in BF16 with fp32
/// accumulation; with an `int8` weight, in int8; otherwise through fp32 `sgemm`. A packed
/// layer keeps only its packed weight — a half or a quarter of the memory — and `weight`
/// unpacks it when asked.
struct Linear: Sendable {
    /// The fp32 weight, `outputs × inputs` row-major from `offset` in `values` (the model's
    /// parameter arena, shared rather than copied), or `nil` once packed for BF16.
    private let float32Weight: (values: [Float], offset: Int)?
    package let bias: [Float]
    /// The weight packed for the BF16 kernel, when this layer runs in BF16.
    let bf16: PackedBF16Weight?
    /// The weight quantised for the int8 kernel, when this layer runs in int8.
    let int8: PackedInt8Weight?

    package let inputs: Int
    /// One per bias entry (the initialisers check the count).
    package var outputs: Int { bias.count }

    init(weight: Matrix, bias: [Float]) {
        self.init(float32Weight: (weight.values, 0), bf16: nil, int8: nil, bias: bias, outputs: weight.rows,
                  inputs: weight.columns)
    }

    /// A layer whose weight is `outputs × inputs` floats of `arena` from `offset`.
    init(arena: [Float], offset: Int, outputs: Int, inputs: Int, bias: [Float]) {
        precondition(offset >= 0 && offset + outputs * inputs <= arena.count, "Linear: weight outside the arena")
        self.init(float32Weight: (arena, offset), bf16: nil, int8: nil, bias: bias, outputs: outputs, inputs: inputs)
    }

    /// A layer computing in BF16 from `packed` alone.
    init(packed: PackedBF16Weight, bias: [Float]) {
        self.init(float32Weight: nil, bf16: packed, int8: nil, bias: bias, outputs: packed.outputs, inputs: packed.inputs)
    }

    /// A layer computing in int8 from `quantised` alone.
    init(quantised: PackedInt8Weight, bias: [Float]) {
        self.init(float32Weight: nil, bf16: nil, int8: quantised, bias: bias, outputs: quantised.outputs,
                  inputs: quantised.inputs)
    }

    private init(float32Weight: (values: [Float], offset: Int)?, bf16: PackedBF16Weight?, int8: PackedInt8Weight?,
                 bias: [Float], outputs: Int, inputs: Int) {
        precondition(bias.count == outputs, "Linear: bias of \(bias.count) for \(outputs) outputs")
        self.float32Weight = float32Weight
        self.bf16 = bf16
        self.int8 = int8
        self.bias = bias
        self.inputs = inputs
    }

    /// The weight in use: the fp32 one, or the BF16 panels' or int8 levels' values.
    package var weight: Matrix {
        guard let (values, offset) = float32Weight else { return bf16?.unpacked ?? int8!.unpacked }
        return Matrix(rows: outputs, columns: inputs, values: Array(values[offset..<(offset + outputs * inputs)]))
    }

    /// A layer computing in BF16 or int8 from `weight` (`outputs × inputs` floats), packed here.
    init(packing weight: UnsafePointer<Float>, outputs: Int, inputs: Int, bias: [Float], for precision: MatmulPrecision) {
        switch precision {
        case .float32:
            preconditionFailure("Linear: fp32 layers read their weight unpacked")
        case .bfloat16:
            let packed = PackedBF16Weight(outputs: outputs, inputs: inputs)
            packed.pack(weight)
            self.init(packed: packed, bias: bias)
        case .int8:
            self.init(quantised: PackedInt8Weight(outputs: outputs, inputs: inputs, weight: weight), bias: bias)
        }
    }

    /// This layer computing its products at `precision` (packing the weight for BF16 or int8).
    func with(_ precision: MatmulPrecision) -> Linear {
        guard precision != .float32 else { return float32Weight == nil ? Linear(weight: weight, bias: bias) : self }
        let (values, offset) = float32Weight ?? (weight.values, 0)
        return values.withUnsafeBufferPointer {
            Linear(packing: $0.baseAddress! + offset, outputs: outputs, inputs: inputs, bias: bias, for: precision)
        }
    }

    /// `output[i] = input[i] · Wᵀ + b` for `rows` input rows (row strides = widths).
    /// With `accumulate`, adds the result onto `output` instead (a residual connection).
    package func apply(_ input: UnsafePointer<Float>, rows: Int,
               into output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        if bf16 != nil || int8 != nil {
            // The BF16 and int8 kernels add the bias as they store.
            bias.withUnsafeBufferPointer { b in
                applyPacked(input, rows: rows, bias: b.baseAddress, into: output, accumulate: accumulate)
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
        if bf16 != nil || int8 != nil {
            applyPacked(input, rows: rows, bias: nil, into: output, accumulate: accumulate)
            return
        }
        let (values, offset) = float32Weight!
        values.withUnsafeBufferPointer { w in
            sgemm(transposeB: true, m: rows, n: outputs, k: inputs,
                  a: input, lda: inputs, b: w.baseAddress! + offset, ldb: inputs,
                  beta: accumulate ? 1 : 0, c: output, ldc: outputs)
        }
    }

    private func applyPacked(_ input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if let bf16 {
            bf16.apply(input, rows: rows, bias: bias, into: output, accumulate: accumulate)
        } else {
            int8!.apply(input, rows: rows, bias: bias, into: output, accumulate: accumulate)
        }
    }
}

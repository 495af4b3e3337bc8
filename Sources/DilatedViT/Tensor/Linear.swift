import CKernels

/// A PyTorch `nn.Linear`: `weight` is `(out, in)`, `bias` has `out` entries.
///
/// The weight is kept in the form its products read (`Weight`): fp32 in the parameter
/// arena for OpenBLAS `sgemm` (training, and CPUs without AVX-512), or packed once for the
/// library's own kernels — fp32 panels, BF16 panels (products in BF16 with fp32 sums) or
/// int8 levels. A packed layer keeps only its packed weight; `weight` unpacks it when asked.
package struct Linear: Sendable {
    enum Weight: Sendable {
        /// `outputs × inputs` floats of `values` (the model's parameter arena, shared rather
        /// than copied) from `offset`, multiplied by OpenBLAS.
        case arena(values: [Float], offset: Int)
        case float32(PackedFloat32Weight)
        case bfloat16(PackedBF16Weight)
        case int8(PackedInt8Weight)
    }

    let storage: Weight
    package let bias: [Float]
    package let inputs: Int
    /// One per bias entry (the initialisers check the count).
    package var outputs: Int { bias.count }

    init(weight: Matrix, bias: [Float]) {
        self.init(.arena(values: weight.values, offset: 0), bias: bias, outputs: weight.rows, inputs: weight.columns)
    }

    /// A layer whose weight is `outputs × inputs` floats of `arena` from `offset`.
    package init(arena: [Float], offset: Int, outputs: Int, inputs: Int, bias: [Float]) {
        precondition(offset >= 0 && offset + outputs * inputs <= arena.count, "Linear: weight outside the arena")
        self.init(.arena(values: arena, offset: offset), bias: bias, outputs: outputs, inputs: inputs)
    }

    /// A layer computing at `precision` from `weight` (`outputs × inputs` floats), packed here
    /// (fp32 into the library's panels where the CPU runs that kernel, else copied as it is).
    package init(packing weight: UnsafePointer<Float>, outputs: Int, inputs: Int, bias: [Float], for precision: MatmulPrecision) {
        let storage: Weight = switch precision {
        case .float32 where PackedFloat32Weight.isAccelerated:
            .float32(PackedFloat32Weight(outputs: outputs, inputs: inputs, weight: weight))
        case .float32:
            .arena(values: Array(UnsafeBufferPointer(start: weight, count: outputs * inputs)), offset: 0)
        case .bfloat16:
            .bfloat16({
                let packed = PackedBF16Weight(outputs: outputs, inputs: inputs)
                packed.pack(weight)
                return packed
            }())
        case .int8:
            .int8(PackedInt8Weight(outputs: outputs, inputs: inputs, weight: weight))
        }
        self.init(storage, bias: bias, outputs: outputs, inputs: inputs)
    }

    private init(_ storage: Weight, bias: [Float], outputs: Int, inputs: Int) {
        precondition(bias.count == outputs, "Linear: bias of \(bias.count) for \(outputs) outputs")
        self.storage = storage
        self.bias = bias
        self.inputs = inputs
    }

    /// The arithmetic of this layer's products.
    var precision: MatmulPrecision {
        switch storage {
        case .arena, .float32: .float32
        case .bfloat16: .bfloat16
        case .int8: .int8
        }
    }

    /// The weight in use, in fp32: the arena's values, or the packed panels' or int8 levels'.
    package var weight: Matrix {
        switch storage {
        case .arena(let values, let offset):
            Matrix(rows: outputs, columns: inputs, values: Array(values[offset..<(offset + outputs * inputs)]))
        case .float32(let packed): packed.unpacked
        case .bfloat16(let packed): packed.unpacked
        case .int8(let packed): packed.unpacked
        }
    }

    /// This layer computing its products at `precision`, packed for it (fp32: read from an
    /// arena by OpenBLAS, the form training keeps).
    func with(_ precision: MatmulPrecision) -> Linear {
        if precision == .float32 {
            if case .arena = storage { return self }
            return Linear(weight: weight, bias: bias)
        }
        let (values, offset): ([Float], Int) = if case .arena(let values, let offset) = storage {
            (values, offset)
        } else {
            (weight.values, 0)
        }
        return values.withUnsafeBufferPointer {
            Linear(packing: $0.baseAddress! + offset, outputs: outputs, inputs: inputs, bias: bias, for: precision)
        }
    }

    /// `output[i] = input[i] · Wᵀ + b` for `rows` input rows (row strides = widths).
    /// With `accumulate`, adds the result onto `output` instead (a residual connection).
    package func apply(_ input: UnsafePointer<Float>, rows: Int,
                       into output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        apply(input, rows: rows, into: output, as: accumulate ? .add : .store)
    }

    /// `output[i] = GELU(input[i] · Wᵀ + b)`: an MLP's hidden layer. The packed kernels apply
    /// the GELU to each result before it leaves the register.
    func applyGELU(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        apply(input, rows: rows, into: output, as: .gelu)
    }

    private func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
                       as result: ProductOutput) {
        bias.withUnsafeBufferPointer { b in
            let bias = b.baseAddress!
            switch storage {
            case .arena(let values, let offset):
                values.withUnsafeBufferPointer { w in
                    sgemm(transposeB: true, m: rows, n: outputs, k: inputs,
                          a: input, lda: inputs, b: w.baseAddress! + offset, ldb: inputs,
                          beta: result == .add ? 1 : 0, c: output, ldc: outputs)
                }
                if result == .gelu {
                    addBiasAndGELU(bias, to: output, rows: rows, columns: outputs)
                } else {
                    addRowVector(bias, to: output, rows: rows, columns: outputs)
                }
            case .float32(let packed): packed.apply(input, rows: rows, bias: bias, into: output, as: result)
            case .bfloat16(let packed): packed.apply(input, rows: rows, bias: bias, into: output, as: result)
            case .int8(let packed): packed.apply(input, rows: rows, bias: bias, into: output, as: result)
            }
        }
    }
}

/// What a product does with each result (the bias included): store it, add it onto the
/// output (a residual connection), or store its GELU (the exact erf form).
package enum ProductOutput {
    case store, add, gelu

    var kernelValue: ck_output {
        switch self {
        case .store: CK_STORE
        case .add: CK_ADD
        case .gelu: CK_GELU
        }
    }
}

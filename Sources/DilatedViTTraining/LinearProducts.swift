import DilatedViT

/// The matrix products of the training Linear layers at one `MatmulPrecision`: the
/// forward `Y (=|+=) X·Wᵀ + b` and the backward `dW += dYᵀ·X`, `db += Σ_rows dY`,
/// `dX (=|+=) dY·W`.
///
/// `.float32` is `linearForward` / `linearBackward` (OpenBLAS `sgemm`). `.bfloat16` is
/// mixed precision: the three products take bf16-rounded operands and sum in fp32 (the
/// BF16 kernel), while the weights, the gradients, the saved activations and the optimizer
/// state stay fp32. The weights change every step, so each product packs its weight afresh
/// from the fp32 parameters, into panels kept from step to step (one buffer per shape:
/// the layers run one at a time).
final class LinearProducts {
    let precision: MatmulPrecision
    private var panels: [Shape: PackedBF16Weight] = [:]

    private struct Shape: Hashable {
        let outputs: Int
        let inputs: Int
    }

    init(precision: MatmulPrecision) {
        self.precision = precision
    }

    /// A Linear layer's forward on `rows` rows: `output (=|+=) input·Wᵀ + b`.
    func forward(_ input: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 into output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        guard precision == .bfloat16 else {
            return linearForward(input, rows: rows, inputs: inputs, outputs: outputs, weight: weight, bias: bias,
                                 into: output, accumulate: accumulate)
        }
        let packed = panels(outputs: outputs, inputs: inputs)
        packed.pack(weight)
        packed.apply(input, rows: rows, bias: bias, into: output, as: accumulate ? .add : .store)
    }

    /// A Linear layer's backward: `dW += dYᵀ·X`, `db += Σ_rows dY`, and, when
    /// `inputGradient` is given, `dX (=|+=) dY·W`. `dW` comes first, so `inputGradient`
    /// may be `input`'s buffer.
    func backward(outputGradient dy: UnsafePointer<Float>, input: UnsafePointer<Float>,
                  rows: Int, inputs: Int, outputs: Int, weight: UnsafePointer<Float>,
                  weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false) {
        guard precision == .bfloat16 else {
            return linearBackward(outputGradient: dy, input: input, rows: rows, inputs: inputs, outputs: outputs,
                                  weight: weight, weightGradient: weightGradient, biasGradient: biasGradient,
                                  inputGradient: inputGradient, accumulateInput: accumulateInput)
        }
        bf16TransposedProduct(m: outputs, n: inputs, k: rows, a: dy, lda: outputs, b: input, ldb: inputs,
                              c: weightGradient, ldc: inputs, accumulate: true)
        addColumnSums(of: dy, rows: rows, columns: outputs, to: biasGradient)
        guard let inputGradient else { return }
        // dY·W = dY·(Wᵀ)ᵀ: the kernel's product with Wᵀ packed as the weight.
        let packed = panels(outputs: inputs, inputs: outputs)
        packed.pack(weight, transposed: true)
        packed.apply(dy, rows: rows, bias: nil, into: inputGradient, as: accumulateInput ? .add : .store)
    }

    /// The reusable panels of an `outputs × inputs` weight.
    private func panels(outputs: Int, inputs: Int) -> PackedBF16Weight {
        let shape = Shape(outputs: outputs, inputs: inputs)
        if let packed = panels[shape] { return packed }
        let packed = PackedBF16Weight(outputs: outputs, inputs: inputs)
        panels[shape] = packed
        return packed
    }
}

import CKernels
import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct BF16GemmTests {
    static let accelerated = PackedBF16Weight.isAccelerated

    @Test(.enabled(if: accelerated, "this CPU lacks AVX512-BF16: only the portable kernel runs"),
          arguments: [1, 7, 33, 130], [3, 192, 193, 768])
    func avx512KernelMatchesDoublePrecision(rows: Int, inputs: Int) {
        for outputs in [6, 31, 192, 576, 768] {
            checkAgainstReference(rows: rows, inputs: inputs, outputs: outputs, kernel: .dispatched)
        }
    }

    @Test(arguments: [1, 7, 33, 130], [3, 193])
    func portableKernelMatchesDoublePrecision(rows: Int, inputs: Int) {
        for outputs in [6, 31, 192] {
            checkAgainstReference(rows: rows, inputs: inputs, outputs: outputs, kernel: .portable)
        }
    }

    @Test(arguments: [BF16Kernel.dispatched, .portable])
    func biasAndAccumulateAddOntoTheProduct(kernel: BF16Kernel) {
        for accumulate in [false, true] {
            checkAgainstReference(rows: 70, inputs: 45, outputs: 37, kernel: kernel, bias: true,
                                  accumulate: accumulate)
        }
    }

    /// Inputs of the products are rounded to nearest, ties to even: with truncation
    /// (or ties away) every one of these sums would come out different.
    @Test(arguments: [BF16Kernel.dispatched, .portable])
    func operandsAreRoundedToNearestEven(kernel: BF16Kernel) {
        let tieToEvenUp: Float = 1 + 3.0 / 256  // halfway between 1+2⁻⁷ and 1+2⁻⁶: even is 1+2⁻⁶
        let tieToEvenDown: Float = 1 + 1.0 / 256  // halfway between 1 and 1+2⁻⁷: even is 1
        let aboveHalf: Float = 1 + 1.0 / 256 + 1.0 / 4096  // rounds up to 1+2⁻⁷; truncation gives 1
        for value in [tieToEvenUp, tieToEvenDown, aboveHalf] {
            // The value as input (weight 1), then as weight (input 1).
            #expect(product([value], [1], kernel: kernel) == [Double(ck_bf16_round(value))])
            #expect(product([1], [value], kernel: kernel) == [Double(ck_bf16_round(value))])
        }
        #expect(ck_bf16_round(tieToEvenUp) == 1 + 1.0 / 64)
        #expect(ck_bf16_round(tieToEvenDown) == 1)
        #expect(ck_bf16_round(aboveHalf) == 1 + 1.0 / 128)
        #expect(ck_bf16_round(-tieToEvenUp) == -(1 + 1.0 / 64))
    }

    @Test func specialValuesRoundLikeTheHardware() {
        #expect(ck_bf16_round(.leastNormalMagnitude) == .leastNormalMagnitude)
        #expect(ck_bf16_round(.leastNormalMagnitude / 2) == 0)  // subnormals flush to zero
        #expect(ck_bf16_round(-.leastNormalMagnitude / 2).sign == .minus)
        #expect(ck_bf16_round(.infinity) == .infinity)
        #expect(ck_bf16_round(.greatestFiniteMagnitude) == .infinity)  // rounds past the largest bf16
        #expect(ck_bf16_round(.nan).isNaN)
    }

    @Test func linearInBF16StaysWithinTheRoundingBound() {
        let inputs = 48, outputs = 20, rows = 90
        let linear = Linear(weight: Matrix(rows: outputs, columns: inputs,
                                           values: randomValues(outputs * inputs, seed: 81)),
                            bias: randomValues(outputs, seed: 82))
        let x = randomValues(rows * inputs, seed: 83)
        let bf16 = linear.with(.bfloat16)
        #expect(bf16.precision == .bfloat16 && bf16.with(.float32).precision == .float32)
        for accumulate in [false, true] {
            let start = randomValues(rows * outputs, seed: 84)
            var exact = start, rounded = start
            exact.withUnsafeMutableBufferPointer { linear.apply(x, rows: rows, into: $0.baseAddress!, accumulate: accumulate) }
            rounded.withUnsafeMutableBufferPointer { bf16.apply(x, rows: rows, into: $0.baseAddress!, accumulate: accumulate) }
            // Σ|x||w| ≤ 48 here: 2⁻⁷ of it bounds the rounding error.
            #expect(maxAbsDifference(rounded, exact) < Float(inputs) / 128)
            #expect(maxAbsDifference(rounded, exact) > 1e-4, "bf16 should not be as exact as fp32")
        }
    }

    // Odd inputs and a partial panel: the padding must not leak into the weight read back.
    @Test(arguments: [(20, 48), (33, 7), (1, 1)])
    func packedLayerKeepsOnlyTheRoundedWeight(outputs: Int, inputs: Int) {
        let weight = Matrix(rows: outputs, columns: inputs, values: randomValues(outputs * inputs, seed: 85))
        let packed = Linear(weight: weight, bias: randomValues(outputs, seed: 86)).with(.bfloat16)
        #expect(packed.inputs == inputs && packed.outputs == outputs)
        #expect(packed.weight == Matrix(rows: outputs, columns: inputs, values: weight.values.map(ck_bf16_round)))
        // Back to fp32, the layer computes with those rounded values exactly.
        let x = randomValues(3 * inputs, seed: 87)
        var viaBF16 = [Float](repeating: 0, count: 3 * outputs), viaFloat32 = viaBF16
        let rounded = x.map(ck_bf16_round)
        viaBF16.withUnsafeMutableBufferPointer { packed.apply(x, rows: 3, into: $0.baseAddress!) }
        viaFloat32.withUnsafeMutableBufferPointer { packed.with(.float32).apply(rounded, rows: 3, into: $0.baseAddress!) }
        #expect(maxAbsDifference(viaBF16, viaFloat32) < 1e-5)
    }

    /// `x · wᵀ` of one row and one output through the kernel, as Double.
    private func product(_ x: [Float], _ w: [Float], kernel: BF16Kernel) -> [Double] {
        var y: [Float] = [.nan]
        kernel.product(x, rows: 1, weight: Matrix(rows: 1, columns: w.count, values: w), bias: nil, into: &y)
        return y.map(Double.init)
    }

    /// Checks `Y = X·Wᵀ (+ b) (+ Y₀)` against double-precision sums (`bf16BoundRatios`).
    private func checkAgainstReference(rows m: Int, inputs k: Int, outputs n: Int, kernel: BF16Kernel,
                                       bias hasBias: Bool = false, accumulate: Bool = false) {
        let seed = UInt64(m * 1_000_000 + k * 1000 + n)
        let x = randomValues(m * k, seed: seed, scale: 2)
        let w = randomValues(n * k, seed: seed + 1)
        let bias = hasBias ? randomValues(n, seed: seed + 2) : nil
        let start = accumulate ? randomValues(m * n, seed: seed + 3) : [Float](repeating: .nan, count: m * n)
        var y = start
        kernel.product(x, rows: m, weight: Matrix(rows: n, columns: k, values: w), bias: bias, into: &y,
                       accumulate: accumulate)
        func offset(_ i: Int, _ j: Int) -> Double {
            (bias.map { Double($0[j]) } ?? 0) + (accumulate ? Double(start[i * n + j]) : 0)
        }
        let worst = bf16BoundRatios(m: m, n: n, k: k, x: x, w: w, offset: offset, value: { i, j in y[i * n + j] })
        let shape = "\(m)×\(k) · (\(n)×\(k))ᵀ, \(kernel) kernel, bias \(hasBias), accumulate \(accumulate)"
        #expect(worst.exact <= 1, "beyond the bf16 bound: \(shape)")
        #expect(worst.rounded <= 1, "not the exact sum of bf16 products: \(shape)")
    }
}

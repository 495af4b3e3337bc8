import CKernels
import CKernelsTesting
import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct KernelTests {
    /// Rows 5 run as one band, 300 as one band per core; both through the dispatching
    /// kernel and its baseline x86-64 clone.
    @Test(arguments: [(5, 1), (5, 7), (5, 16), (5, 33), (5, 192), (300, 192), (300, 37)])
    func layerNormMatchesDoublePrecision(rows: Int, columns: Int) {
        // Offset activations, where a one-pass variance would lose digits.
        let input = randomValues(rows * columns, seed: 11, scale: 3).map { $0 + 40 }
        let weight = randomValues(columns, seed: 12).map { 1 + 0.5 * $0 }
        let bias = randomValues(columns, seed: 13)
        var output = [Float](repeating: .nan, count: rows * columns)
        var baseline = output
        output.withUnsafeMutableBufferPointer { out in
            layerNorm(input, into: out.baseAddress!, rows: rows, columns: columns,
                      weight: weight, bias: bias, epsilon: 1e-6)
        }
        baseline.withUnsafeMutableBufferPointer { out in
            ck_layer_norm_baseline(rows, columns, input, out.baseAddress!, weight, bias, 1e-6)
        }
        var expected: [Double] = []
        for r in 0..<rows {
            let x = input[r * columns..<(r + 1) * columns].map(Double.init)
            let mean = x.reduce(0, +) / Double(columns)
            let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(columns)
            for c in 0..<columns {
                expected.append((x[c] - mean) / (variance + 1e-6).squareRoot() * Double(weight[c]) + Double(bias[c]))
            }
        }
        #expect(maxAbsDifference(output, expected) < 2e-5)
        #expect(maxAbsDifference(baseline, expected) < 2e-5)
    }

    @Test func geluIsTheExactErfForm() {
        let xs = (-4000...4000).map { Double($0) / 400 }
        let expected = xs.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        var native = xs.map(Float.init), baseline = native
        native.withUnsafeMutableBufferPointer { gelu($0.baseAddress!, into: $0.baseAddress!, count: xs.count) }
        baseline.withUnsafeMutableBufferPointer { ck_add_bias_gelu_baseline(1, xs.count, nil, $0.baseAddress!) }
        // Relative to max(1, |x|): for large x the float rounding of x itself dominates.
        func worst(_ values: [Float]) -> Double {
            zip(xs, zip(values, expected)).map { abs(Double($1.0) - $1.1) / max(1, abs($0)) }.max()!
        }
        #expect(worst(native) < 1e-6)
        #expect(worst(baseline) < 1e-6)
        // The tanh approximation is ~1e-4 off at x = 2: make sure it is not what we use.
        let tanhForm = 0.5 * 2 * (1 + tanh((2 / Double.pi).squareRoot() * (2 + 0.044715 * 8)))
        #expect(abs(Double(native[xs.firstIndex(of: 2)!]) - tanhForm) > 5e-5)
    }

    /// 300 rows split into one band per core; 24 columns leave a tail past the last full vector.
    @Test func biasAndGELUFuseAcrossRows() {
        let rows = 300, columns = 24
        let input = randomValues(rows * columns, seed: 14, scale: 4)
        let bias = randomValues(columns, seed: 15)
        var output = input
        output.withUnsafeMutableBufferPointer { addBiasAndGELU(bias, to: $0.baseAddress!, rows: rows, columns: columns) }
        let expected = (0..<rows * columns).map { i -> Double in
            let x = Double(input[i] + bias[i % columns])
            return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        }
        #expect(maxAbsDifference(output, expected) < 5e-6)
    }

    /// The attention softmax's exponential (`V16_EXP` in the window kernels).
    @Test func vectorExponentialIsAccurate() {
        func exponential(_ x: [Float]) -> [Float] {
            var y = [Float](repeating: .nan, count: x.count)
            y.withUnsafeMutableBufferPointer { ck_softmax_exp(x.count, x, $0.baseAddress!) }
            return y
        }
        let xs = stride(from: -8700, through: 0, by: 1).map { Float($0) / 100 }
        var worst: Float = 0
        for (x, value) in zip(xs, exponential(xs)) {
            let expected = Float(exp(Double(x)))
            worst = max(worst, abs(value - expected) / expected)
        }
        #expect(worst < 5e-7)
        #expect(exponential([Float](repeating: -.infinity, count: 16)) == [Float](repeating: 0, count: 16))
        #expect(exponential([Float](repeating: -100, count: 16)) == [Float](repeating: 0, count: 16))
    }

    @Test func softmaxIsShiftInvariantAndNormalised() {
        let p = softmax([1000, 1001, 1002])
        let q = softmax([0, 1, 2])
        #expect(maxAbsDifference(p, q) < 1e-6)
        #expect(abs(p.reduce(0, +) - 1) < 1e-6)
        #expect(abs(q[2] - Float(exp(2.0) / (1 + exp(1.0) + exp(2.0)))) < 1e-6)
    }

    @Test func elementwiseAddsHandleRemainders() {
        let rows = 3, columns = 19
        var matrix = randomValues(rows * columns, seed: 16)
        let before = matrix
        let bias = randomValues(columns, seed: 17)
        matrix.withUnsafeMutableBufferPointer { addRowVector(bias, to: $0.baseAddress!, rows: rows, columns: columns) }
        #expect(matrix == (0..<rows * columns).map { before[$0] + bias[$0 % columns] })
        var sum = before
        sum.withUnsafeMutableBufferPointer { addInPlace(matrix, to: $0.baseAddress!, count: rows * columns) }
        #expect(sum == (0..<rows * columns).map { before[$0] + matrix[$0] })
    }

    @Test func sgemmComputesTransposedProducts() {
        let m = 3, n = 5, k = 4
        let a = randomValues(m * k, seed: 18), b = randomValues(n * k, seed: 19)
        var c = [Float](repeating: 1, count: m * n)
        c.withUnsafeMutableBufferPointer {
            sgemm(transposeB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, beta: 1, c: $0.baseAddress!, ldc: n)
        }
        for i in 0..<m {
            for j in 0..<n {
                let dot = (0..<k).reduce(Float(1)) { $0 + a[i * k + $1] * b[j * k + $1] }
                #expect(abs(c[i * n + j] - dot) < 1e-5)
            }
        }
    }
}

@Suite struct PositionCodeTests {
    @Test(arguments: [(1, 1, 4), (3, 5, 32), (16, 9, 192)])
    func matchesTheFormula(rows: Int, columns: Int, dimension: Int) {
        let code = sinCos2DPositionCode(rows: rows, columns: columns, dimension: dimension)
        let f = dimension / 4
        var worst = 0.0
        for y in 0..<rows {
            for x in 0..<columns {
                for i in 0..<f {
                    let omega = 1 / pow(10000, Double(i) / Double(f))
                    let base = (y * columns + x) * dimension
                    let expected = [sin(Double(y) * omega), cos(Double(y) * omega),
                                    sin(Double(x) * omega), cos(Double(x) * omega)]
                    for block in 0..<4 {
                        worst = max(worst, abs(Double(code[base + block * f + i]) - expected[block]))
                    }
                }
            }
        }
        #expect(worst < 1e-7)
    }

    /// MODEL.md §9.2: the normalised code is the formula at scaled patch centres, and the v1
    /// code on a grid whose longer side is the span.
    @Test func normalisedCodeScalesWithTheGrid() throws {
        var config = tinyConfig(dimension: 32)
        config.positionCode = .sinCos2DNormalised
        config.positionSpan = 16
        func code(_ rows: Int, _ columns: Int) -> [Float] {
            var tokens = [Float](repeating: 0, count: rows * columns * 32)
            tokens.withUnsafeMutableBufferPointer { config.architecture.addPositionCode(to: $0.baseAddress!, rows: rows, columns: columns) }
            return tokens
        }
        #expect(code(16, 9) == sinCos2DPositionCode(rows: 16, columns: 9, dimension: 32))
        let large = code(64, 64), f = 8
        let scale = 16.0 / 64
        for (y, x) in [(0, 0), (63, 5), (31, 40)] {
            for i in 0..<f {
                let omega = 1 / pow(10000, Double(i) / Double(f)), t = (y * 64 + x) * 32
                let u = (Double(y) + 0.5) * scale - 0.5, v = (Double(x) + 0.5) * scale - 0.5
                #expect(abs(Double(large[t + i]) - sin(u * omega)) < 1e-6)
                #expect(abs(Double(large[t + f + i]) - cos(u * omega)) < 1e-6)
                #expect(abs(Double(large[t + 2 * f + i]) - sin(v * omega)) < 1e-6)
                #expect(abs(Double(large[t + 3 * f + i]) - cos(v * omega)) < 1e-6)
            }
        }
    }

    @Test func originIsSinZeroCosOne() {
        let code = sinCos2DPositionCode(rows: 1, columns: 1, dimension: 8)
        #expect(code == [0, 0, 1, 1, 0, 0, 1, 1])
    }
}

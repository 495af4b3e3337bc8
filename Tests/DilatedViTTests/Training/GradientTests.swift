import CKernels
import CKernelsTesting
import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Analytic Float32 backward passes against central finite differences of the double
/// precision reference (`TrainingReference`). Errors are measured relative to the largest
/// finite-difference gradient of the tensor under test.
@Suite struct GradientTests {
    /// `max |analytic − fd| / max |fd|` over the checked entries.
    static func relativeError(_ analytic: [Float], _ fd: [Double]) -> Double {
        let scale = max(fd.map(abs).max() ?? 0, 1e-12)
        return zip(analytic, fd).map { abs(Double($0) - $1) }.max()! / scale
    }

    @Test func layerNormBackwardMatchesFiniteDifferences() {
        let rows = 5, columns = 37
        let x = randomValues(rows * columns, seed: 11, scale: 2).map { $0 + 0.7 }
        let weight = randomValues(columns, seed: 12).map { 1 + 0.3 * $0 }
        let bias = randomValues(columns, seed: 13, scale: 0.2)
        let dy = randomValues(rows * columns, seed: 14)
        var normalised = [Float](repeating: 0, count: rows * columns), output = normalised
        var inverse = [Float](repeating: 0, count: rows)
        var dx = [Float](repeating: 0, count: rows * columns)
        var dw = [Float](repeating: 0, count: columns), db = dw
        layerNormForward(x, rows: rows, columns: columns, weight: weight, bias: bias, epsilon: 1e-6,
                         normalised: &normalised, inverseDeviation: &inverse, output: &output)
        layerNormBackward(outputGradient: dy, normalised: normalised, inverseDeviation: inverse, weight: weight,
                          rows: rows, columns: columns, inputGradient: &dx, accumulate: false,
                          weightGradient: &dw, biasGradient: &db)
        let reference = TrainingReference.layerNorm(x.map(Double.init), columns: columns, weight: weight.map(Double.init),
                                                    bias: bias.map(Double.init), epsilon: 1e-6)
        #expect(maxAbsDifference(output, reference) < 1e-5)

        func loss(x: [Double], weight: [Double], bias: [Double]) -> Double {
            zip(TrainingReference.layerNorm(x, columns: columns, weight: weight, bias: bias, epsilon: 1e-6), dy)
                .reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let x64 = x.map(Double.init), w64 = weight.map(Double.init), b64 = bias.map(Double.init)
        let fdX = x64.indices.map { i in TrainingReference.centralDifference(x64, at: i) { loss(x: $0, weight: w64, bias: b64) } }
        let fdW = w64.indices.map { i in TrainingReference.centralDifference(w64, at: i) { loss(x: x64, weight: $0, bias: b64) } }
        let fdB = b64.indices.map { i in TrainingReference.centralDifference(b64, at: i) { loss(x: x64, weight: w64, bias: $0) } }
        #expect(Self.relativeError(dx, fdX) < 1e-5)
        #expect(Self.relativeError(dw, fdW) < 1e-5)
        #expect(Self.relativeError(db, fdB) < 1e-5)
    }

    @Test func geluDerivativeMatchesExactFormula() {
        let inputs = (0..<241).map { Float($0 - 120) / 20 }   // −6 … 6, and a scalar tail
        var derivative = inputs, activation = inputs
        geluActivationAndDerivative(&derivative, activation: &activation, count: inputs.count)
        // The baseline x86-64 clone (what CPUs without AVX2 run).
        var baselineDerivative = inputs, baselineActivation = inputs
        ck_gelu_with_derivative_baseline(inputs.count, &baselineDerivative, &baselineActivation)
        for (i, u) in inputs.enumerated() {
            let x = Double(u)
            let exact = 0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-x * x / 2) / (2 * Double.pi).squareRoot()
            for (d, a) in [(derivative[i], activation[i]), (baselineDerivative[i], baselineActivation[i])] {
                #expect(abs(Double(d) - exact) < 3e-6, "GELU′(\(u))")
                #expect(abs(Double(a) - TrainingReference.gelu(x)) < 2e-6 * max(1, abs(x)), "GELU(\(u))")
            }
        }
    }

    @Test func crossEntropyMatchesReferenceAndFiniteDifferences() {
        let labels = [2, 0, 4]
        let logits = randomValues(15, seed: 21, scale: 3)
        for smoothing in [0, 0.1, 0.3] as [Float] {
            let result = CrossEntropy(labelSmoothing: smoothing).evaluate(logits: logits, labels: labels, scale: 0.5)
            let logits64 = logits.map(Double.init)
            let reference = TrainingReference.crossEntropy(logits: logits64, labels: labels, smoothing: Double(smoothing))
            #expect(abs(Double(result.loss) - reference) < 1e-6)
            let fd = logits64.indices.map { i in
                0.5 * TrainingReference.centralDifference(logits64, at: i) {
                    TrainingReference.crossEntropy(logits: $0, labels: labels, smoothing: Double(smoothing))
                }
            }
            #expect(Self.relativeError(result.logitGradient, fd) < 1e-6)
        }
    }

    @Test func distilledCrossEntropyMatchesReferenceAndFiniteDifferences() {
        let labels = [2, 0, 4]
        let logits = randomValues(15, seed: 22, scale: 3)
        // Teacher rows: softmax of other random logits, so each sums to 1.
        let teacher = stride(from: 0, to: 15, by: 5).flatMap { start -> [Float] in
            let row = randomValues(15, seed: 23, scale: 2)[start..<start + 5].map { exp($0) }
            let sum = row.reduce(0, +)
            return row.map { $0 / sum }
        }
        let teacher64 = teacher.map(Double.init)
        let logits64 = logits.map(Double.init)
        for alpha in [0, 0.4, 1] as [Float] {
            let loss = CrossEntropy(labelSmoothing: 0.1, distillationWeight: alpha)
            let result = loss.evaluate(logits: logits, labels: labels, teacherProbabilities: teacher, scale: 0.5)
            let reference: ([Double]) -> Double = {
                TrainingReference.crossEntropy(logits: $0, labels: labels, smoothing: 0.1,
                                               teacher: teacher64, alpha: Double(alpha))
            }
            #expect(abs(Double(result.loss) - reference(logits64)) < 1e-6, "alpha \(alpha)")
            let fd = logits64.indices.map { 0.5 * TrainingReference.centralDifference(logits64, at: $0, reference) }
            #expect(Self.relativeError(result.logitGradient, fd) < 1e-6, "alpha \(alpha)")
        }
        // Without teacher rows the weight is ignored: plain label smoothing.
        let plain = CrossEntropy(labelSmoothing: 0.1).evaluate(logits: logits, labels: labels)
        let unused = CrossEntropy(labelSmoothing: 0.1, distillationWeight: 0.7).evaluate(logits: logits, labels: labels)
        #expect(plain.loss == unused.loss && plain.logitGradient == unused.logitGradient)
    }

    struct AttentionCase: CustomTestStringConvertible, Sendable {
        let rows: Int, columns: Int, heads: Int, headDimension: Int
        let levels: [AttentionLevel]
        var mode: AttentionMode = .dilated
        var testDescription: String {
            "\(mode) \(rows)×\(columns), \(heads) heads × \(headDimension), levels "
                + levels.map { "(\($0.segment),\($0.dilation))" }.joined()
        }
    }

    static let attentionCases: [AttentionCase] = [
        // Truncated border segments at every level; heads = r² at the dilated level.
        AttentionCase(rows: 5, columns: 7, heads: 4, headDimension: 8, levels: .pairs((2, 1), (4, 2))),
        // Three levels, more heads than r² at level 1, fewer at level 2; dh not a vector multiple.
        AttentionCase(rows: 7, columns: 9, heads: 8, headDimension: 5, levels: .pairs((3, 1), (6, 2), (12, 4))),
        // Fewer heads than r² = 4, one level only, and a 1-row grid.
        AttentionCase(rows: 6, columns: 6, heads: 2, headDimension: 16, levels: .pairs((4, 1), (8, 2))),
        AttentionCase(rows: 4, columns: 9, heads: 3, headDimension: 8, levels: .pairs((3, 1))),
        AttentionCase(rows: 1, columns: 19, heads: 2, headDimension: 8, levels: .pairs((4, 1), (16, 4))),
        // Windows of more than 16 keys (several key vectors per score row).
        AttentionCase(rows: 6, columns: 7, heads: 2, headDimension: 8, levels: .pairs((6, 1), (6, 3))),
        AttentionCase(rows: 5, columns: 6, heads: 2, headDimension: 8, levels: .pairs((2, 1)), mode: .dense),
    ]

    @Test(arguments: attentionCases)
    func attentionBackwardMatchesFiniteDifferences(_ c: AttentionCase) {
        let images = 2, n = c.rows * c.columns, d = c.heads * c.headDimension
        let qkv = randomValues(images * n * 3 * d, seed: 31, scale: 1.5)
        let outputGradient = randomValues(images * n * d, seed: 32)
        let shape = WindowWalker(images: images, rows: c.rows, columns: c.columns, heads: c.heads,
                                     headDimension: c.headDimension,
                                     levels: attentionLevels(mode: c.mode, levels: c.levels, rows: c.rows, columns: c.columns))
        var output = [Float](repeating: 0, count: images * n * d)
        var logSumExp = [Float](repeating: 0, count: images * n * c.heads)
        var qkvGradient = [Float](repeating: 0, count: qkv.count)
        qkv.withUnsafeBufferPointer { qkvPointer in
            output.withUnsafeMutableBufferPointer { out in
                logSumExp.withUnsafeMutableBufferPointer { lse in
                    shape.forward(qkv: qkvPointer.baseAddress!, output: out.baseAddress!, logSumExp: lse.baseAddress!)
                }
            }
        }
        qkvGradient.withUnsafeMutableBufferPointer { dqkv in
            shape.backward(qkv: qkv, output: output, logSumExp: logSumExp, outputGradient: outputGradient,
                           qkvGradient: dqkv.baseAddress!)
        }
        // The baseline x86-64 clones of the window kernels (what CPUs without AVX2 run) agree.
        var baselineShape = shape
        baselineShape.kernels = .baseline
        var baselineOutput = output, baselineLogSumExp = logSumExp, baselineGradient = qkvGradient
        qkv.withUnsafeBufferPointer { qkvPointer in
            baselineOutput.withUnsafeMutableBufferPointer { out in
                baselineLogSumExp.withUnsafeMutableBufferPointer { lse in
                    baselineShape.forward(qkv: qkvPointer.baseAddress!, output: out.baseAddress!, logSumExp: lse.baseAddress!)
                }
            }
        }
        baselineGradient.withUnsafeMutableBufferPointer { dqkv in
            baselineShape.backward(qkv: qkv, output: baselineOutput, logSumExp: baselineLogSumExp,
                                   outputGradient: outputGradient, qkvGradient: dqkv.baseAddress!)
        }
        #expect(maxAbsDifference(baselineOutput, output) < 1e-5)
        #expect(maxAbsDifference(baselineGradient, qkvGradient) < 1e-4)
        for image in 0..<images {
            let rowsOfImage = image * n * 3 * d..<(image + 1) * n * 3 * d
            let x = qkv[rowsOfImage].map(Double.init)
            let r = outputGradient[image * n * d..<(image + 1) * n * d].map(Double.init)
            func reference(_ x: [Double]) -> [Double] {
                TrainingReference.attention(qkv: x, rows: c.rows, columns: c.columns, heads: c.heads, dimension: d,
                                            levels: c.levels, mode: c.mode)
            }
            #expect(maxAbsDifference(Array(output[image * n * d..<(image + 1) * n * d]), reference(x)) < 2e-6)
            let checked = Array(stride(from: image, to: x.count, by: 13))
            let fd = checked.map { i in
                TrainingReference.centralDifference(x, at: i) { zip(reference($0), r).reduce(0) { $0 + $1.0 * $1.1 } }
            }
            let analytic = checked.map { qkvGradient[rowsOfImage.lowerBound + $0] }
            #expect(Self.relativeError(analytic, fd) < 1e-4, "image \(image)")
        }
    }

    struct ModelCase: CustomTestStringConvertible, Sendable {
        let mode: AttentionMode
        let rows: Int, columns: Int
        var embedding: PatchEmbedding = .linear
        /// Model v2's options: levels to the grid, normalised position code, attention pooling.
        var version2 = false
        /// With `version2`: the coarse view's budget (0: none).
        var coarseViewTokens = 0
        /// 2 for the linear embedding; 8 for the stem: three stages, one of them between two others.
        var patchSize: Int { embedding == .linear ? 2 : 8 }
        var testDescription: String {
            "\(mode) \(rows)×\(columns), \(embedding.rawValue) p=\(patchSize)\(version2 ? ", v2" : "")"
                + (coarseViewTokens > 0 ? ", coarse view of \(coarseViewTokens)" : "")
        }
    }

    @Test(arguments: [ModelCase(mode: .dilated, rows: 3, columns: 5), ModelCase(mode: .dense, rows: 2, columns: 3),
                      ModelCase(mode: .dilated, rows: 2, columns: 3, embedding: .hierarchicalMLP),
                      ModelCase(mode: .dilated, rows: 3, columns: 9, version2: true),
                      ModelCase(mode: .dilated, rows: 5, columns: 7, version2: true, coarseViewTokens: 8)])
    func wholeModelGradientsMatchFiniteDifferences(_ c: ModelCase) {
        var config = tinyConfig(dimension: 16, depth: 2, heads: 2, patchSize: c.patchSize, patchEmbedding: c.embedding,
                                levels: .pairs((2, 1), (4, 2)))
        if c.version2 {
            // 9 columns: the rule adds (8, 4) and (16, 8).
            config.levelRule = .toGrid
            config.positionCode = .sinCos2DNormalised
            config.positionSpan = 4
            config.pooling = .attention
            config.coarseViewTokens = c.coarseViewTokens
        }
        // Random weights everywhere, the pooling scores included, so its softmax is not flat.
        let weights = ModelWeights(randomFor: config, seed: 41)
        let grids = (0..<2).map { i in
            PatchGrid(rows: c.rows, columns: c.columns, patchSize: c.patchSize,
                      values: randomValues(c.rows * c.columns * config.patchFeatures, seed: 50 + UInt64(i)))
        }
        let labels = [1, 2]
        let model = TrainingModel(config: config, weights: weights, attention: c.mode, labelSmoothing: 0.1)
        let (loss, _) = model.step(batch: TrainingBatch(grids: grids, labels: labels))
        let parameters = weights.tensors.mapValues { $0.values.map(Double.init) }
        func referenceLoss(_ p: [String: [Double]]) -> Double {
            TrainingReference.loss(config: config, parameters: p, grids: grids, labels: labels, smoothing: 0.1, mode: c.mode)
        }
        #expect(abs(Double(loss) - referenceLoss(parameters)) < 1e-5)
        let gradients = model.gradientTensors
        var worst = 0.0
        for (name, values) in parameters.sorted(by: { $0.key < $1.key }) {
            // Up to 4 entries spread over the tensor.
            let checked = Array(Set((0..<4).map { $0 * values.count / 4 + (values.count > 8 ? 3 : 0) })).sorted()
            let fd = checked.map { i in
                TrainingReference.centralDifference(values, at: i) { perturbed in
                    var p = parameters
                    p[name] = perturbed
                    return referenceLoss(p)
                }
            }
            let analytic = checked.map { gradients[name]!.values[$0] }
            let error = zip(analytic, fd).map { abs(Double($0) - $1) }.max()! / max(fd.map(abs).max()!, 1e-3)
            worst = max(worst, error)
            #expect(error < 1e-3, "\(name): analytic \(analytic) vs finite differences \(fd)")
        }
        print("whole model (\(c.testDescription)): worst relative gradient error \(worst)")
    }
}

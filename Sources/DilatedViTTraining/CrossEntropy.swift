import Foundation
import DilatedViT

/// Cross-entropy with label smoothing, PyTorch semantics
/// (`nn.CrossEntropyLoss(label_smoothing: ε)`, mean reduction): the target of a sample
/// with label `y` is `(1 − ε)·onehot(y) + ε/K` over `K` classes, and
/// `loss = −Σ_k target_k · log softmax(logits)_k`, averaged over the batch.
///
/// With teacher probabilities `q` (knowledge distillation) the target becomes
/// `(1 − α)·((1 − ε)·onehot(y) + ε/K) + α·q`, `α` = `distillationWeight`.
public struct CrossEntropy: Sendable {
    public var labelSmoothing: Float
    /// The teacher's share `α` of each target; used only when teacher probabilities are given.
    public var distillationWeight: Float

    public init(labelSmoothing: Float = 0, distillationWeight: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "CrossEntropy: label smoothing must be in [0, 1]")
        precondition(distillationWeight >= 0 && distillationWeight <= 1, "CrossEntropy: distillation weight must be in [0, 1]")
        self.labelSmoothing = labelSmoothing
        self.distillationWeight = distillationWeight
    }

    /// The mean loss over the `labels.count` rows of `logits` (`batch × classes`), the
    /// number of rows whose largest logit is the label, and the gradient of
    /// `scale × mean loss` with respect to the logits: `scale·(softmax − target)/batch`.
    /// `teacherProbabilities`, if given, holds one probability row per sample (`batch × classes`).
    public func evaluate(logits: [Float], labels: [Int], teacherProbabilities: [Float]? = nil, scale: Float = 1)
        -> (loss: Float, correct: Int, logitGradient: [Float]) {
        let batch = labels.count
        precondition(batch > 0 && logits.count % batch == 0, "CrossEntropy: \(logits.count) logits for \(batch) labels")
        precondition(teacherProbabilities == nil || teacherProbabilities!.count == logits.count,
                     "CrossEntropy: teacher probabilities must match the logits' shape")
        let classes = logits.count / batch
        let epsilon = Double(labelSmoothing)
        let alpha = teacherProbabilities == nil ? 0 : Double(distillationWeight)
        var total = 0.0
        var correct = 0
        var gradient = [Float](repeating: 0, count: logits.count)
        for i in 0..<batch {
            let label = labels[i]
            precondition(label >= 0 && label < classes, "CrossEntropy: label \(label) outside 0..<\(classes)")
            let row = logits[(i * classes)..<((i + 1) * classes)].map(Double.init)
            let largest = row.max()!
            let sum = row.reduce(0) { $0 + exp($1 - largest) }
            let logSum = largest + log(sum)
            var sample = 0.0
            for k in 0..<classes {
                var target = epsilon / Double(classes) + (k == label ? 1 - epsilon : 0)
                if let teacher = teacherProbabilities {
                    target = (1 - alpha) * target + alpha * Double(teacher[i * classes + k])
                }
                sample -= target * (row[k] - logSum)
                gradient[i * classes + k] = Float((exp(row[k] - logSum) - target) * Double(scale) / Double(batch))
            }
            total += sample
            if row.firstIndex(of: largest) == label { correct += 1 }
        }
        return (Float(total / Double(batch)), correct, gradient)
    }
}

import Foundation
import DilatedViT

/// AdamW with PyTorch semantics (`torch.optim.AdamW`, non-amsgrad, single-tensor path):
/// for step `t` (counted from 1), learning rate `lr`,
///
///     θ ← θ·(1 − lr·λ)                       (decoupled weight decay, decayed tensors only)
///     m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
///     θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Weight decay `λ` applies to the tensors `ParameterLayout.Entry.isDecayed` selects
/// (Linear and patch-embedding weights), never to biases or LayerNorm parameters.
/// Moments are flat arrays in `ParameterLayout` order; `stateTensors()` /
/// `init(state:layout:)` save and restore them exactly, so training resumes bit for bit.
public struct AdamW: Sendable {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Updates applied so far (PyTorch's `state["step"]`).
    public private(set) var step: Int
    public private(set) var firstMoment: [Float]
    public private(set) var secondMoment: [Float]
    package let layout: ParameterLayout
    /// `(range, decayed)` per tensor, merged into runs.
    private let decayRuns: [(range: Range<Int>, decayed: Bool)]

    package init(layout: ParameterLayout, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0.05) {
        self.layout = layout
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        step = 0
        firstMoment = [Float](repeating: 0, count: layout.count)
        secondMoment = firstMoment
        decayRuns = layout.entries.map { ($0.range, $0.isDecayed) }
    }

    /// Applies one update to `parameters` (`layout` order) with `gradients`.
    public mutating func update(_ parameters: inout [Float], gradients: [Float], learningRate: Float) {
        precondition(parameters.count == layout.count && gradients.count == layout.count,
                     "AdamW: \(parameters.count) parameters / \(gradients.count) gradients for a layout of \(layout.count)")
        step += 1
        // Scalars in double as PyTorch's Python floats are, then used in float arithmetic.
        let t = Double(step)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let correction2 = Float((1 - pow(Double(beta2), t)).squareRoot())
        let decayFactor = Float(1 - Double(learningRate) * Double(weightDecay))
        let b1 = beta1, b2 = beta2, eps = epsilon
        let runs = decayRuns
        parameters.withUnsafeMutableBufferPointer { theta in
            gradients.withUnsafeBufferPointer { g in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        let theta = theta.baseAddress!, g = g.baseAddress!, m = m.baseAddress!, v = v.baseAddress!
                        parallelFor(runs.count) { r in
                            let (range, decayed) = runs[r]
                            for i in range {
                                if decayed { theta[i] *= decayFactor }
                                // m.lerp_(g, 1 − β₁) and v.mul_(β₂).addcmul_(g, g, 1 − β₂), as PyTorch.
                                m[i] += (1 - b1) * (g[i] - m[i])
                                v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
                                let denominator = v[i].squareRoot() / correction2 + eps
                                theta[i] -= stepSize * (m[i] / denominator)
                            }
                        }
                    }
                }
            }
        }
    }
}

extension AdamW {
    /// The optimizer state as safetensors tensors `adam.m.<name>` and `adam.v.<name>` plus
    /// metadata (`adam.step`, betas, epsilon, weight decay), all stored exactly (F32 and
    /// round-trip decimal strings).
    package func stateFile() -> SafeTensors {
        var tensors = layout.tensors(from: firstMoment, prefix: "adam.m.")
        tensors.merge(layout.tensors(from: secondMoment, prefix: "adam.v.")) { first, _ in first }
        return SafeTensors(tensors: tensors, metadata: [
            "adam.step": String(step), "adam.beta1": "\(beta1)", "adam.beta2": "\(beta2)",
            "adam.epsilon": "\(epsilon)", "adam.weight_decay": "\(weightDecay)",
        ])
    }

    /// Restores a state written by `stateFile()` for the same layout.
    package init(state: SafeTensors, layout: ParameterLayout) throws(AdamWStateError) {
        func number(_ key: String) throws(AdamWStateError) -> Float {
            guard let text = state.metadata[key], let value = Float(text) else { throw .missingMetadata(key) }
            return value
        }
        guard let stepText = state.metadata["adam.step"], let step = Int(stepText), step >= 0 else {
            throw .missingMetadata("adam.step")
        }
        self.init(layout: layout, beta1: try number("adam.beta1"), beta2: try number("adam.beta2"),
                  epsilon: try number("adam.epsilon"), weightDecay: try number("adam.weight_decay"))
        switch layout.flatten(state.tensors, prefix: "adam.m.") {
        case .success(let values): firstMoment = values
        case .failure(let error): throw .tensors(error)
        }
        switch layout.flatten(state.tensors, prefix: "adam.v.") {
        case .success(let values): secondMoment = values
        case .failure(let error): throw .tensors(error)
        }
        self.step = step
    }
}

package enum AdamWStateError: Error, Equatable, CustomStringConvertible {
    case missingMetadata(String)
    case tensors(ParameterLayout.FlattenError)

    public var description: String {
        switch self {
        case .missingMetadata(let key): "optimizer state: metadata \(key) is missing or not a number"
        case .tensors(let error): "optimizer state: \(error)"
        }
    }
}

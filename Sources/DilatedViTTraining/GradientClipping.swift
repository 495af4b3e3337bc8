import Foundation
import DilatedViT

/// Scales `gradients` so their global L2 norm is at most `maxNorm` and returns the norm
/// before clipping, like `torch.nn.utils.clip_grad_norm_` (which multiplies by
/// `maxNorm / (norm + 1e-6)` when that is below 1). The norm is summed in double.
@discardableResult
public func clipGradientNorm(_ gradients: inout [Float], maxNorm: Float) -> Float {
    let norm = gradients.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    let coefficient = Float(Double(maxNorm) / (norm + 1e-6))
    if coefficient < 1 {
        gradients.withUnsafeMutableBufferPointer { g in
            for i in g.indices { g[i] *= coefficient }
        }
    }
    return Float(norm)
}

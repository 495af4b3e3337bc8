import Foundation

/// The softmax of `values`, shifted by their maximum so large logits cannot overflow.
package func softmax(_ values: [Float]) -> [Float] {
    guard let maximum = values.max() else { return [] }
    let exps = values.map { expf($0 - maximum) }
    let sum = exps.reduce(0, +)
    return exps.map { $0 / sum }
}

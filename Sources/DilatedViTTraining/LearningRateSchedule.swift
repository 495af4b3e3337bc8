import Foundation
import DilatedViT

/// Linear warm-up, then cosine decay to a floor.
///
/// For update `step` (0-based: the number of updates already applied, `AdamW.step`):
/// `peak·(step + 1)/warmupSteps` during the first `warmupSteps` updates, then
/// `minimum + (peak − minimum)·½·(1 + cos(π·p))` with `p = (step − warmupSteps) /
/// (totalSteps − warmupSteps)` clamped to 1, so it stays at `minimum` past `totalSteps`.
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Float
    public var minimum: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0) {
        precondition(warmupSteps >= 0 && totalSteps > warmupSteps && peak >= minimum && minimum >= 0,
                     "LearningRateSchedule: need 0 ≤ warmup < total and 0 ≤ minimum ≤ peak")
        self.peak = peak
        self.minimum = minimum
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func learningRate(atStep step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let progress = min(1, Double(step - warmupSteps) / Double(totalSteps - warmupSteps))
        return minimum + (peak - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
    }
}

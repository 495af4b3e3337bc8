import DilatedViT

/// Random draws defined bit-for-bit in this file rather than by the standard library, whose
/// `random(in:using:)` and `shuffle(using:)` algorithms may change between Swift releases:
/// a run seed must reproduce the same split, batches and augmentations everywhere.
extension SplitMix64 {
    /// Uniform in `[0, 1)` with 53 random bits.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in `range`. One draw is taken even for a single-value range, so that turning
    /// an option off does not shift the draws after it.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        let u = nextUnit()
        return range.lowerBound == range.upperBound ? range.lowerBound
            : range.lowerBound + u * (range.upperBound - range.lowerBound)
    }

    /// Uniform in `0..<bound` (Lemire's multiply-high; the bias is below 2⁻⁴⁰ for any
    /// bound this code uses).
    mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(UInt64(bound).multipliedFullWidth(by: next()).high)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        nextUnit() < p
    }

    /// Fisher–Yates.
    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextIndex(below: i + 1))
        }
    }
}

/// An independent seed for item `index` of stream `seed` (epochs of a run, samples of an epoch).
func derivedSeed(_ seed: UInt64, _ index: UInt64) -> UInt64 {
    mix64(seed ^ mix64(index))
}

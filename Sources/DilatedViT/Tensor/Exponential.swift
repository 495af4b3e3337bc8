/// `exp(x)` for `x ≤ 0` on 16 lanes at once, for the attention softmax (whose inputs
/// are scores minus their maximum).
///
/// Cephes-style: `x = n·ln2 + f` with `|f| ≤ ln2/2`, a degree-6 polynomial for `e^f`,
/// then `2^n` built in the exponent bits. Relative error about 2 ulp over the normal
/// range. Inputs below −87.3 (including −∞ for masked scores) give exactly 0, so masked
/// lanes drop out of sums; so would inputs above +87.3, which softmax never produces.
@inline(__always) func exponential(_ x: FloatVector) -> FloatVector {
    // Beyond −87.3 the result is below the smallest normal float: flush it to zero.
    let inRange = magnitudeBelow(x, 87.33654)
    let clamped = clampMagnitude(x, to: 87.33654)
    // Round x·log2(e) to the nearest integer with the 1.5·2²³ trick: the integer lands
    // in the low mantissa bits, so no float→int vector conversion is needed.
    let magic: Float = 12582912
    let shifted = clamped * 1.44269504088896341 + magic
    let n = shifted - magic
    var f = clamped - n * 0.693359375
    f = f + n * 2.12194440e-4
    var p = FloatVector(repeating: 1.9875691500e-4)
    p = p * f + 1.3981999507e-3
    p = p * f + 8.3334519073e-3
    p = p * f + 4.1665795894e-2
    p = p * f + 1.6666665459e-1
    p = p * f + 5.0000001201e-1
    let polynomial = p * f * f + f + 1
    let integerBits = unsafeBitCast(shifted, to: SIMD16<UInt32>.self)
        &- unsafeBitCast(FloatVector(repeating: magic), to: SIMD16<UInt32>.self)
    let scale = unsafeBitCast((integerBits &+ 127) &<< 23, to: FloatVector.self)
    return select(inRange, polynomial * scale, FloatVector())
}

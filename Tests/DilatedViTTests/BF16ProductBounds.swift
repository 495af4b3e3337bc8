import CKernels

/// How far a BF16 product `value(i, j) ≈ Σₜ x[i][t]·w[j][t] + offset(i, j)` (`x` is `m × k`,
/// `w` is `n × k`, row-major) is from double-precision sums, as ratios to two bounds (≤ 1
/// passes): `exact`, against the product of the fp32 operands, within the bf16 rounding
/// bound (each operand off by up to 2⁻⁸ of itself, so each product by 2⁻⁷ + 2⁻¹⁶) plus
/// fp32 summation error; `rounded`, against the product of the bf16-rounded operands,
/// within the summation error alone.
func bf16BoundRatios(m: Int, n: Int, k: Int, x: [Float], w: [Float], offset: (Int, Int) -> Double,
                     value: (Int, Int) -> Float) -> (exact: Double, rounded: Double) {
    // Unsafe pointers keep the debug-build loops fast.
    let x64 = buffer(x.map(Double.init)), w64 = buffer(w.map(Double.init))
    let xRounded = buffer(x.map { Double(ck_bf16_round($0)) }), wRounded = buffer(w.map { Double(ck_bf16_round($0)) })
    defer { for buffer in [x64, w64, xRounded, wRounded] { buffer.deallocate() } }
    var worstExact = 0.0, worstRounded = 0.0
    for i in 0..<m {
        for j in 0..<n {
            var exact = 0.0, rounded = 0.0, magnitude = 0.0
            for t in 0..<k {
                let product = x64[i * k + t] * w64[j * k + t]
                exact += product
                magnitude += abs(product)
                rounded += xRounded[i * k + t] * wRounded[j * k + t]
            }
            let shift = offset(i, j), result = Double(value(i, j))
            // Two more fp32 roundings (bias, accumulate) on values up to |offset| + magnitude.
            let summation = (magnitude * 1.01 + abs(shift)) * Double(k + 2) * 0x1p-24
            worstExact = max(worstExact, abs(result - exact - shift) / (magnitude * (0x1p-7 + 0x1p-16) + summation))
            worstRounded = max(worstRounded, abs(result - rounded - shift) / summation)
        }
    }
    return (worstExact, worstRounded)
}

private func buffer(_ values: [Double]) -> UnsafeMutableBufferPointer<Double> {
    let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: values.count)
    _ = buffer.initialize(from: values)
    return buffer
}

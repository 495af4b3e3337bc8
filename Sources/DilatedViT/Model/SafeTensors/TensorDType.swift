/// Element types that DilatedViT reads from safetensors files; all become `Float` in memory.
package enum TensorDType: String, Sendable, CaseIterable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"

    public var byteCount: Int {
        switch self {
        case .float32: 4
        case .float16, .bfloat16: 2
        }
    }

    /// Decodes `count` little-endian elements starting at `bytes` into `out`.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .float32:
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .float16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(Float16(bitPattern: bits))
            }
        case .bfloat16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        }
    }

    /// Appends `values` to `data` in this type, little-endian. Narrowing rounds to nearest even.
    func encode(_ values: [Float], into data: inout [UInt8]) {
        data.reserveCapacity(data.count + values.count * byteCount)
        switch self {
        case .float32:
            for v in values { appendLittleEndian(v.bitPattern, to: &data) }
        case .float16:
            for v in values { appendLittleEndian(Float16(v).bitPattern, to: &data) }
        case .bfloat16:
            for v in values { appendLittleEndian(bfloat16Bits(v), to: &data) }
        }
    }
}

/// `value` rounded to bfloat16 (nearest, ties to even); NaN stays a quiet NaN.
func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
    let roundingBias = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ roundingBias) >> 16)
}

private func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to data: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
}

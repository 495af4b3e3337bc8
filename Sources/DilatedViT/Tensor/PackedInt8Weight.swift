import CKernels

/// A Linear weight (`outputs × inputs`, PyTorch layout) quantised to int8 per output channel
/// and packed for `ck_int8_gemm`, which quantises each input row to int8 as it runs
/// (`MatmulPrecision.int8`). Packed once at load and only read after, so it is shared
/// across threads; the class owns the 64-byte-aligned buffers.
final class PackedInt8Weight: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    private let packed: UnsafeMutablePointer<Int8>
    private let scales: UnsafeMutablePointer<Float>
    private let sums: UnsafeMutablePointer<Int32>

    /// Whether this CPU runs the AVX512-VNNI kernel (elsewhere a slow portable loop).
    static var isAccelerated: Bool { ck_int8_supported() }

    /// `weight` (`outputs × inputs` floats) quantised and packed.
    init(outputs: Int, inputs: Int, weight: UnsafePointer<Float>) {
        self.outputs = outputs
        self.inputs = inputs
        let count = max(ck_int8_packed_count(outputs, inputs), 64)
        packed = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64).bindMemory(to: Int8.self, capacity: count)
        scales = .allocate(capacity: max(outputs, 1))
        sums = .allocate(capacity: max(outputs, 1))
        ck_int8_pack(outputs, inputs, weight, inputs, packed, scales, sums)
    }

    deinit {
        packed.deallocate()
        scales.deallocate()
        sums.deallocate()
    }

    /// The weight the products use, back in fp32: each value its int8 level times its
    /// output's scale.
    var unpacked: Matrix {
        var values = [Float](repeating: 0, count: outputs * inputs)
        values.withUnsafeMutableBufferPointer { if let w = $0.baseAddress { ck_int8_unpack(outputs, inputs, packed, scales, w) } }
        return Matrix(rows: outputs, columns: inputs, values: values)
    }

    /// `output[i] = x̂[i] · Ŵᵀ + bias`, stored as `result` says, `x̂` each input row
    /// quantised to int8, in row bands (`forEachRowBand`).
    func apply(_ input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
               into output: UnsafeMutablePointer<Float>, as result: ProductOutput = .store) {
        guard rows > 0, outputs > 0 else { return }
        forEachRowBand(rows) { start, end in
            ck_int8_gemm(end - start, outputs, inputs, input + start * inputs, inputs, packed, scales, sums,
                         bias, output + start * outputs, outputs, result.kernelValue)
        }
    }
}

import CKernels

/// A Linear weight (`outputs × inputs`, PyTorch layout) packed into the fp32 panels
/// `ck_f32_gemm` reads: the inference model's fp32 products on AVX-512 CPUs, where they run
/// about a fifth faster than OpenBLAS at the model's shapes (docs/PERFORMANCE.md). Packed
/// once at load and only read after, so it is shared across threads; the class owns the
/// 64-byte-aligned buffer.
package final class PackedFloat32Weight: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    private let panels: UnsafeMutablePointer<Float>

    /// Whether this CPU runs the kernel (elsewhere fp32 layers call OpenBLAS).
    package static var isAccelerated: Bool { ck_f32_supported() }

    /// `weight` (`outputs × inputs` floats) packed.
    init(outputs: Int, inputs: Int, weight: UnsafePointer<Float>) {
        self.outputs = outputs
        self.inputs = inputs
        let count = max(ck_f32_packed_count(outputs, inputs), 16)
        panels = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        ck_f32_pack(outputs, inputs, weight, inputs, panels)
    }

    deinit { panels.deallocate() }

    /// The weight back in its own layout.
    var unpacked: Matrix {
        var values = [Float](repeating: 0, count: outputs * inputs)
        values.withUnsafeMutableBufferPointer { if let w = $0.baseAddress { ck_f32_unpack(outputs, inputs, panels, w) } }
        return Matrix(rows: outputs, columns: inputs, values: values)
    }

    /// `output[i] = input[i] · Wᵀ + bias`, stored as `result` says, in row bands (`forEachRowBand`).
    func apply(_ input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
               into output: UnsafeMutablePointer<Float>, as result: ProductOutput = .store) {
        guard rows > 0, outputs > 0 else { return }
        forEachRowBand(rows) { start, end in
            ck_f32_gemm(end - start, outputs, inputs, input + start * inputs, inputs, panels,
                        bias, output + start * outputs, outputs, result.kernelValue)
        }
    }
}

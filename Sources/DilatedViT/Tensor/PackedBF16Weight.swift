import CKernels

/// A Linear weight (`outputs × inputs`, PyTorch layout) rounded to bf16 and packed into
/// the panels `ck_bf16_gemm` reads, for `Y = X · Wᵀ` with fp32 accumulation.
///
/// Inference packs each weight once (`init(_:)`) and then only reads it, so sharing it
/// across threads is safe. Training refills its own instances with `pack(_:transposed:)`
/// from weights that change every step, never while an `apply` runs. The class only exists
/// to own the 64-byte-aligned buffer the kernel's vector loads want.
package final class PackedBF16Weight: @unchecked Sendable {
    package let outputs: Int
    package let inputs: Int
    private let panels: UnsafeMutablePointer<UInt16>

    /// Whether this CPU runs the AVX512-BF16 kernel (elsewhere a slow portable loop).
    static var isAccelerated: Bool { ck_bf16_supported() }

    /// `weight` packed.
    package convenience init(_ weight: Matrix) {
        self.init(outputs: weight.rows, inputs: weight.columns)
        weight.values.withUnsafeBufferPointer { if let values = $0.baseAddress { pack(values) } }
    }

    /// Zero panels for an `outputs × inputs` weight, to fill with `pack`.
    package init(outputs: Int, inputs: Int) {
        self.outputs = outputs
        self.inputs = inputs
        let count = max(ck_bf16_packed_count(outputs, inputs), 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<UInt16>.stride, alignment: 64)
        panels = raw.bindMemory(to: UInt16.self, capacity: count)
        panels.initialize(repeating: 0, count: count)
    }

    deinit { panels.deallocate() }

    /// The packed weight back in fp32, `outputs × inputs`: every value bf16-rounded.
    var unpacked: Matrix {
        var values = [Float](repeating: 0, count: outputs * inputs)
        values.withUnsafeMutableBufferPointer { if let w = $0.baseAddress { ck_bf16_unpack(outputs, inputs, panels, w) } }
        return Matrix(rows: outputs, columns: inputs, values: values)
    }

    /// Re-packs the panels from `weight`: `outputs × inputs`, or with `transposed` its
    /// transpose, `inputs × outputs` (so `apply` computes `X · weight` instead of `X · weightᵀ`).
    package func pack(_ weight: UnsafePointer<Float>, transposed: Bool = false) {
        if transposed {
            ck_bf16_pack_transposed(outputs, inputs, weight, outputs, panels)
        } else {
            ck_bf16_pack(outputs, inputs, weight, inputs, panels)
        }
    }

    /// `output[i] = bf16(input[i]) · bf16(W)ᵀ + bias` for `rows` rows (row strides = widths),
    /// stored as `result` says, in row bands (`forEachRowBand`).
    package func apply(_ input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
                       into output: UnsafeMutablePointer<Float>, as result: ProductOutput = .store) {
        guard rows > 0, outputs > 0 else { return }
        forEachRowBand(rows) { start, end in
            ck_bf16_gemm(end - start, outputs, inputs, input + start * inputs, inputs, panels,
                         bias, output + start * outputs, outputs, result.kernelValue)
        }
    }
}

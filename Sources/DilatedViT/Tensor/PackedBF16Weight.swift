import CKernels

/// A Linear weight (`outputs × inputs`, PyTorch layout) rounded to bf16 once and packed
/// into the panels `ck_bf16_gemm` reads, for `Y = X · Wᵀ` with fp32 accumulation.
///
/// Immutable after `init`, so sharing it across threads is safe; the class only exists
/// to own the 64-byte-aligned buffer the kernel's vector loads want.
final class PackedBF16Weight: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    private let panels: UnsafeMutablePointer<UInt16>

    /// Whether this CPU runs the AVX512-BF16 kernel (elsewhere a slow portable loop).
    static var isAccelerated: Bool { ck_bf16_supported() }

    init(_ weight: Matrix) {
        outputs = weight.rows
        inputs = weight.columns
        let count = ck_bf16_packed_count(outputs, inputs)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<UInt16>.stride,
                                                   alignment: 64)
        panels = raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
        weight.values.withUnsafeBufferPointer { w in
            ck_bf16_pack(outputs, inputs, w.baseAddress, inputs, panels)
        }
    }

    deinit { panels.deallocate() }

    /// `output[i] = bf16(input[i]) · bf16(W)ᵀ + bias` for `rows` rows (row strides = widths),
    /// or added onto `output` with `accumulate`. Row bands run on `parallelFor` as in `sgemm`.
    /// `portable` forces the fallback kernel (for tests).
    func apply(_ input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
               into output: UnsafeMutablePointer<Float>, accumulate: Bool = false, portable: Bool = false) {
        guard rows > 0, outputs > 0 else { return }
        // Bands of at least 64 rows, as in `sgemm`.
        let bands = max(1, min(parallelWorkerCount, rows / 64))
        parallelFor(bands) { band in
            let start = rows * band / bands, end = rows * (band + 1) / bands
            let kernel = portable ? ck_bf16_gemm_portable : ck_bf16_gemm
            kernel(end - start, outputs, inputs, input + start * inputs, inputs, panels,
                   bias, output + start * outputs, outputs, accumulate)
        }
    }
}

import CKernels
import Testing
@testable import DilatedViT

/// `ck_f32_gemm`, the inference model's fp32 products on AVX-512 CPUs: the same sums as a
/// double-precision loop up to fp32 rounding, with bias, without, and accumulating.
@Suite(.enabled(if: ck_f32_supported(), "this CPU lacks AVX-512: fp32 layers call OpenBLAS"))
struct Float32GemmTests {
    // Partial panels (n % 32), partial row tiles (m % 12), the model's own shapes, one of each.
    @Test(arguments: [(13, 45, 70), (1, 1, 1), (25, 64, 192), (7, 576, 192), (12, 192, 768), (30, 17, 3)])
    func matchesDoublePrecisionSums(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let x = randomValues(m * k, seed: 91, scale: 2), w = randomValues(n * k, seed: 92, scale: 0.3)
        let bias = randomValues(n, seed: 93)
        var packed = [Float](repeating: .nan, count: ck_f32_packed_count(n, k) + 16)
        // The kernel's aligned loads want a 64-byte boundary: start the panels at one.
        packed.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            let aligned = base.alignedUp(toMultipleOf: 64).assumingMemoryBound(to: Float.self)
            ck_f32_pack(n, k, w, k, aligned)
            var unpacked = [Float](repeating: .nan, count: n * k)
            ck_f32_unpack(n, k, aligned, &unpacked)
            #expect(unpacked == w)
            for withBias in [true, false] {
                for accumulate in [false, true] {
                    let start = randomValues(m * n, seed: 94)
                    var y = accumulate ? start : [Float](repeating: .nan, count: m * n)
                    withBias ? ck_f32_gemm(m, n, k, x, k, aligned, bias, &y, n, accumulate ? CK_ADD : CK_STORE)
                             : ck_f32_gemm(m, n, k, x, k, aligned, nil, &y, n, accumulate ? CK_ADD : CK_STORE)
                    var error = 0.0, scale = 1.0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = (withBias ? Double(bias[j]) : 0) + (accumulate ? Double(start[i * n + j]) : 0)
                            var magnitude = abs(sum)
                            for c in 0..<k {
                                sum += Double(x[i * k + c]) * Double(w[j * k + c])
                                magnitude += abs(Double(x[i * k + c]) * Double(w[j * k + c]))
                            }
                            error = max(error, abs(Double(y[i * n + j]) - sum))
                            scale = max(scale, magnitude)
                        }
                    }
                    // fp32 sums of k + 2 terms: within (k + 2) ulps of the magnitudes' sum.
                    #expect(error <= Double(k + 2) * 6e-8 * scale, "\(shape) bias \(withBias) accumulate \(accumulate)")
                }
            }
        }
    }

    /// A model loaded in fp32 packs its Linear layers for the kernel and labels as the
    /// arena's OpenBLAS products do.
    @Test func packedLayerMatchesTheArenaLayer() {
        let (outputs, inputs, rows) = (40, 96, 50)
        let weight = randomValues(outputs * inputs, seed: 95), bias = randomValues(outputs, seed: 96)
        let arena = Linear(arena: weight, offset: 0, outputs: outputs, inputs: inputs, bias: bias)
        let packed = weight.withUnsafeBufferPointer {
            Linear(packing: $0.baseAddress!, outputs: outputs, inputs: inputs, bias: bias, for: .float32)
        }
        guard case .float32 = packed.storage else {
            Issue.record("fp32 layers should be packed on an AVX-512 CPU")
            return
        }
        #expect(packed.weight == arena.weight)
        let x = randomValues(rows * inputs, seed: 97)
        var viaBLAS = [Float](repeating: 0, count: rows * outputs), viaKernel = viaBLAS
        viaBLAS.withUnsafeMutableBufferPointer { arena.apply(x, rows: rows, into: $0.baseAddress!) }
        viaKernel.withUnsafeMutableBufferPointer { packed.apply(x, rows: rows, into: $0.baseAddress!) }
        #expect(maxAbsDifference(viaBLAS, viaKernel) < 1e-4)
        #expect(packed.with(.float32).precision == .float32)
    }
}

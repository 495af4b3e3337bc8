import CKernels
import CKernelsTesting
import Testing
@testable import DilatedViT

/// A Linear layer's three results — stored, added onto a residual, or through the MLP's GELU
/// in the kernel's last step — in every form its weight takes.
@Suite struct LinearOutputTests {
    static let (outputs, inputs, rows) = (45, 70, 29)  // a partial panel, partial row tiles

    static func layers() -> [(String, Linear)] {
        let weight = randomValues(outputs * inputs, seed: 101, scale: 0.3), bias = randomValues(outputs, seed: 102)
        let arena = Linear(arena: weight, offset: 0, outputs: outputs, inputs: inputs, bias: bias)
        return [("OpenBLAS", arena)] + MatmulPrecision.allCases.map { precision in
            (precision.rawValue, weight.withUnsafeBufferPointer {
                Linear(packing: $0.baseAddress!, outputs: outputs, inputs: inputs, bias: bias, for: precision)
            })
        }
    }

    @Test func geluOutputIsTheGELUOfTheStoredOutput() {
        let x = randomValues(Self.rows * Self.inputs, seed: 103, scale: 2)
        let count = Self.rows * Self.outputs
        for (name, layer) in Self.layers() {
            var stored = [Float](repeating: .nan, count: count), activated = stored
            stored.withUnsafeMutableBufferPointer { layer.apply(x, rows: Self.rows, into: $0.baseAddress!) }
            activated.withUnsafeMutableBufferPointer { layer.applyGELU(x, rows: Self.rows, into: $0.baseAddress!) }
            var expected = stored
            expected.withUnsafeMutableBufferPointer { gelu($0.baseAddress!, into: $0.baseAddress!, count: count) }
            // Only where the bias is added differs (first or last): a few fp32 roundings.
            #expect(maxAbsDifference(activated, expected) < 1e-5, "\(name)")
            #expect(stored.contains { $0 < -1 } && activated.allSatisfy { $0 > -0.18 }, "\(name): GELU ≥ −0.17")
        }
    }

    /// The portable fallbacks (what CPUs without AVX512-BF16 or VNNI run) apply the same GELU.
    @Test func portableKernelsApplyTheGELU() {
        let (m, n, k) = (Self.rows, Self.outputs, Self.inputs)
        let x = randomValues(m * k, seed: 106, scale: 2), w = randomValues(n * k, seed: 107, scale: 0.3)
        let bias = randomValues(n, seed: 108)
        var panels = [UInt16](repeating: 0, count: ck_bf16_packed_count(n, k))
        ck_bf16_pack(n, k, w, k, &panels)
        var levels = [Int8](repeating: 0, count: ck_int8_packed_count(n, k))
        var scales = [Float](repeating: 0, count: n), sums = [Int32](repeating: 0, count: n)
        ck_int8_pack(n, k, w, k, &levels, &scales, &sums)
        let kernels: [(String, (ck_output, inout [Float]) -> Void)] = [
            ("bf16", { ck_bf16_gemm_portable(m, n, k, x, k, panels, bias, &$1, n, $0) }),
            ("int8", { ck_int8_gemm_portable(m, n, k, x, k, levels, scales, sums, bias, &$1, n, $0) }),
        ]
        for (name, kernel) in kernels {
            var stored = [Float](repeating: .nan, count: m * n), activated = stored
            kernel(CK_STORE, &stored)
            kernel(CK_GELU, &activated)
            var expected = stored
            expected.withUnsafeMutableBufferPointer { gelu($0.baseAddress!, into: $0.baseAddress!, count: m * n) }
            #expect(maxAbsDifference(activated, expected) < 1e-5, "\(name)")
        }
    }

    @Test func addedOutputIsTheStoredOutputPlusWhatWasThere() {
        let x = randomValues(Self.rows * Self.inputs, seed: 104)
        let start = randomValues(Self.rows * Self.outputs, seed: 105)
        for (name, layer) in Self.layers() {
            var stored = [Float](repeating: .nan, count: start.count), added = start
            stored.withUnsafeMutableBufferPointer { layer.apply(x, rows: Self.rows, into: $0.baseAddress!) }
            added.withUnsafeMutableBufferPointer { layer.apply(x, rows: Self.rows, into: $0.baseAddress!, accumulate: true) }
            #expect(maxAbsDifference(added, zip(stored, start).map(+)) < 1e-5, "\(name)")
        }
    }
}

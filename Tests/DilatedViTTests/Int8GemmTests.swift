import CKernels
import CKernelsTesting
import Foundation
import Testing
@testable import DilatedViT

/// `ck_int8_gemm` (`--precision int8`): the exact integer arithmetic its contract states,
/// on the AVX512-VNNI path and the portable one, and close to the fp32 product.
@Suite struct Int8GemmTests {
    /// `sx[i] · sw[j] · Σ qx·qw + b` in double from the contract's own rounding rules.
    static func reference(_ x: [Float], _ w: [Float], bias: [Float], m: Int, n: Int, k: Int) -> [Double] {
        func quantised(_ row: ArraySlice<Float>, inverse: Float) -> [Int] {
            row.map { Int(max(-127, min(127, ($0 * inverse).rounded(.toNearestOrEven)))) }
        }
        let weights = (0..<n).map { j -> (scale: Float, q: [Int]) in
            let row = w[j * k..<(j + 1) * k], largest = row.map(abs).max()!
            let scale: Float = largest > 0 ? largest / 127 : 1
            return (scale, quantised(row, inverse: 1 / scale))
        }
        var y = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            let row = x[i * k..<(i + 1) * k], largest = row.map(abs).max()!
            let scale: Float = largest > 0 ? largest / 127 : 1
            let q = quantised(row, inverse: 127 / (largest > 0 ? largest : 127))
            for j in 0..<n {
                let sum = zip(q, weights[j].q).reduce(0) { $0 + $1.0 * $1.1 }
                y[i * n + j] = Double(scale) * Double(weights[j].scale) * Double(sum) + Double(bias[j])
            }
        }
        return y
    }

    typealias Kernel = (Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Int8>, UnsafePointer<Float>,
                        UnsafePointer<Int32>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>, Int, ck_output) -> Void

    static func run(_ kernel: Kernel, x: [Float], w: [Float], bias: [Float], m: Int, n: Int, k: Int,
                    onto start: [Float]? = nil) -> [Float] {
        var packed = [Int8](repeating: 0, count: ck_int8_packed_count(n, k))
        var scales = [Float](repeating: 0, count: n), sums = [Int32](repeating: 0, count: n)
        ck_int8_pack(n, k, w, k, &packed, &scales, &sums)
        var y = start ?? [Float](repeating: .nan, count: m * n)
        kernel(m, n, k, x, k, packed, scales, sums, bias, &y, n, start != nil ? CK_ADD : CK_STORE)
        return y
    }

    // Shapes with partial quads (k % 4), partial panels (n % 32) and partial row tiles (m % 12),
    // the model's own, and a row of zeros.
    @Test(arguments: [(13, 45, 70), (1, 1, 1), (25, 64, 192), (7, 576, 192), (12, 192, 768), (30, 17, 3)])
    func bothPathsComputeTheContract(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var x = randomValues(m * k, seed: 81, scale: 3)
        for c in 0..<k { x[c] = 0 }
        let w = randomValues(n * k, seed: 82, scale: 0.2), bias = randomValues(n, seed: 83)
        let expected = Self.reference(x, w, bias: bias, m: m, n: n, k: k)
        let largest = expected.map(abs).max()!
        for (name, kernel) in [("vnni", ck_int8_gemm as Kernel), ("portable", ck_int8_gemm_portable as Kernel)] {
            let y = Self.run(kernel, x: x, w: w, bias: bias, m: m, n: n, k: k)
            let error = zip(y, expected).map { abs(Double($0) - $1) }.max()!
            #expect(error <= 1e-6 * max(largest, 1), "\(name) \(shape): \(error)")
            // Accumulating adds the same values onto what was there.
            let onto = randomValues(m * n, seed: 84)
            let sum = Self.run(kernel, x: x, w: w, bias: bias, m: m, n: n, k: k, onto: onto)
            #expect(zip(zip(sum, onto), y).allSatisfy { abs($0.0 - $0.1 - $1) <= 1e-5 * max(Float(largest), 1) })
        }
        if !ck_int8_supported() { print("note: no AVX512-VNNI here; ck_int8_gemm ran the portable loop") }
    }

    /// Per-channel and per-row int8 stays within about 1% of the fp32 product's range.
    @Test func staysCloseToFloat32() {
        let (m, n, k) = (40, 96, 192)
        let x = randomValues(m * k, seed: 85), w = randomValues(n * k, seed: 86, scale: 0.1)
        let bias = [Float](repeating: 0, count: n)
        let y = Self.run(ck_int8_gemm, x: x, w: w, bias: bias, m: m, n: n, k: k)
        var exact = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for c in 0..<k { exact[i * n + j] += x[i * k + c] * w[j * k + c] } } }
        let range = exact.map(abs).max()!
        #expect(maxAbsDifference(y, exact) <= 0.01 * range)
        #expect(maxAbsDifference(y, exact) > 0)  // it is quantised
    }

    /// The shipped model in int8 names the same label as in fp32 on the sample photos.
    @Test func theSceneModelKeepsItsLabels() throws {
        let weights = DVitProcess.repositoryRoot.appendingPathComponent("weights")
        let fp32 = SceneClassifier(model: try DilatedViTModel(contentsOf: weights, precision: .float32))
        let int8 = SceneClassifier(model: try DilatedViTModel(contentsOf: weights, precision: .int8))
        let images = DVitProcess.repositoryRoot.appendingPathComponent("images")
        let photos = try FileManager.default.contentsOfDirectory(atPath: images.path).sorted()
        #expect(photos.count >= 5)
        for photo in photos {
            let path = images.appendingPathComponent(photo).path
            let a = try fp32.classify(contentsOf: path), b = try int8.classify(contentsOf: path)
            #expect(a.top[0].label == b.top[0].label, "\(photo)")
            #expect(abs(a.top[0].probability - b.top.first { $0.label == a.top[0].label }!.probability) < 0.05, "\(photo)")
        }
    }
}

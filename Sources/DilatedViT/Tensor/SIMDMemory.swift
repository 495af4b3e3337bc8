/// Unaligned SIMD loads and stores on raw float buffers: the kernels' only way to
/// touch memory in vector-sized pieces.
///
/// Kernels write `a += b * c`, never `addProduct`/`addingProduct`: on a baseline x86-64
/// target those lower to one libm `fmaf` call per lane, ~30× slower, whereas plain
/// multiply-add vectorises on any target (and fuses when FMA is available).
package typealias FloatVector = SIMD16<Float>
package let floatVectorWidth = FloatVector.scalarCount

extension UnsafePointer<Float> {
    @inline(__always) package func loadVector(at index: Int) -> FloatVector {
        UnsafeRawPointer(self + index).loadUnaligned(as: FloatVector.self)
    }
}

extension UnsafeMutablePointer<Float> {
    @inline(__always) package func loadVector(at index: Int) -> FloatVector {
        UnsafeRawPointer(self + index).loadUnaligned(as: FloatVector.self)
    }

    @inline(__always) package func storeVector(_ vector: FloatVector, at index: Int) {
        UnsafeMutableRawPointer(self + index).storeBytes(of: vector, as: FloatVector.self)
    }
}

/// Unaligned SIMD loads and stores on raw float buffers: the kernels' only way to
/// touch memory in vector-sized pieces.
typealias FloatVector = SIMD16<Float>
let floatVectorWidth = FloatVector.scalarCount

extension UnsafePointer<Float> {
    @inline(__always) func loadVector(at index: Int) -> FloatVector {
        UnsafeRawPointer(self + index).loadUnaligned(as: FloatVector.self)
    }
}

extension UnsafeMutablePointer<Float> {
    @inline(__always) func loadVector(at index: Int) -> FloatVector {
        UnsafeRawPointer(self + index).loadUnaligned(as: FloatVector.self)
    }

    @inline(__always) func storeVector(_ vector: FloatVector, at index: Int) {
        UnsafeMutableRawPointer(self + index).storeBytes(of: vector, as: FloatVector.self)
    }
}

/// `value` rounded up to a multiple of the vector width.
@inline(__always) func roundUpToVector(_ value: Int) -> Int {
    (value + floatVectorWidth - 1) / floatVectorWidth * floatVectorWidth
}

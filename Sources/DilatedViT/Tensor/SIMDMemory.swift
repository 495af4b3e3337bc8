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

/// `value` rounded up to a multiple of the vector width.
@inline(__always) func roundUpToVector(_ value: Int) -> Int {
    (value + floatVectorWidth - 1) / floatVectorWidth * floatVectorWidth
}

/// Lane-wise `mask ? whenTrue : whenFalse` as bit operations.
///
/// The standard library's `replacing(with:where:)`, `pointwiseMax` and `clamped` are
/// lane-by-lane loops (NaN-aware for max) that compile to scalar code with spills;
/// comparisons and integer bit operations on concrete SIMD types are single vector
/// instructions. A true mask lane is all ones, so it selects through `&` and `|`.
@inline(__always) func select(_ mask: SIMDMask<SIMD16<Int32>>,
                              _ whenTrue: FloatVector, _ whenFalse: FloatVector) -> FloatVector {
    let bits = unsafeBitCast(mask, to: SIMD16<UInt32>.self)
    let t = unsafeBitCast(whenTrue, to: SIMD16<UInt32>.self)
    let f = unsafeBitCast(whenFalse, to: SIMD16<UInt32>.self)
    return unsafeBitCast((t & bits) | (f & ~bits), to: FloatVector.self)
}

/// Lane-wise maximum (either operand when equal; no NaN handling, as scores are finite or −∞).
@inline(__always) func lanewiseMax(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
    select(a .> b, a, b)
}

/// All-ones lanes where `|x| < limit`, zero elsewhere (`limit` positive and finite).
///
/// Pure integer arithmetic on the bit patterns: for non-negative floats the bit order is
/// the numeric order, so `bits(|x|) − bits(limit)` is negative exactly when `|x| < limit`
/// and its arithmetic shift by 31 spreads the sign over the lane. No `SIMDMask`, which
/// compiles to a lane-by-lane mask assembly.
@inline(__always) func magnitudeBelow(_ x: FloatVector, _ limit: Float) -> SIMD16<Int32> {
    let magnitude = unsafeBitCast(x, to: SIMD16<Int32>.self) & 0x7FFF_FFFF
    return (magnitude &- Int32(bitPattern: limit.bitPattern)) &>> 31
}

/// Lane-wise `mask ? whenTrue : whenFalse` for an all-ones/zero integer mask.
@inline(__always) func select(_ mask: SIMD16<Int32>, _ whenTrue: FloatVector, _ whenFalse: FloatVector) -> FloatVector {
    let t = unsafeBitCast(whenTrue, to: SIMD16<Int32>.self)
    let f = unsafeBitCast(whenFalse, to: SIMD16<Int32>.self)
    return unsafeBitCast((t & mask) | (f & ~mask), to: FloatVector.self)
}

/// `x` with its magnitude clamped to `limit`, sign kept.
@inline(__always) func clampMagnitude(_ x: FloatVector, to limit: Float) -> FloatVector {
    let sign = unsafeBitCast(x, to: SIMD16<Int32>.self) & Int32(bitPattern: 0x8000_0000)
    let bound = unsafeBitCast(sign | Int32(bitPattern: limit.bitPattern), to: FloatVector.self)
    return select(magnitudeBelow(x, limit), x, bound)
}

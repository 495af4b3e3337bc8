/// The q, k, v rows of one attention call and the grid they come from.
///
/// Token `t = y·columns + x`; its query is `queries[t·rowStride ..< t·rowStride + D]`,
/// and head `h` owns the contiguous features `h·dh ..< (h+1)·dh` of it (likewise keys,
/// values, and the output, whose row stride is `D`). In the model the three pointers
/// are offsets 0, D and 2D into the `N × 3D` qkv buffer.
package struct AttentionProblem {
    let queries: UnsafePointer<Float>
    let keys: UnsafePointer<Float>
    let values: UnsafePointer<Float>
    let rowStride: Int
    package let rows: Int
    package let columns: Int
    let heads: Int
    let headDimension: Int

    var tokenCount: Int { rows * columns }
    var dimension: Int { heads * headDimension }
}

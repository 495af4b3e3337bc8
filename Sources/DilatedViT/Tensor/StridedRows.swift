/// `count` runs of `length` consecutive `width`-float rows, the runs `stride` rows apart:
/// a rectangle of tokens inside a row-major grid `stride` tokens wide.
struct StridedRows {
    package let count: Int
    let length: Int
    let stride: Int
    let width: Int

    /// The runs follow one another without gaps: one block of `count × length` rows.
    var areContiguous: Bool { count <= 1 || length == stride }
}

/// `target[run r] += source rows r·length ..< (r+1)·length`: adds `count × length`
/// contiguous rows to the runs of `runs`, in parallel over runs.
func addRows(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, runs: StridedRows) {
    let floats = runs.length * runs.width
    parallelChunks(runs.count, chunksPerWorker: 1) { range in
        for run in range {
            addInPlace(source + run * floats, to: target + run * runs.stride * runs.width, count: floats)
        }
    }
}

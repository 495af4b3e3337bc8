/// Adds the `columns`-long `vector` to each of `rows` rows of `matrix` (a bias add).
package func addRowVector(_ vector: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>,
                  rows: Int, columns: Int) {
    let vectorEnd = columns / floatVectorWidth * floatVectorWidth
    for r in 0..<rows {
        let row = matrix + r * columns
        var c = 0
        while c < vectorEnd {
            row.storeVector(row.loadVector(at: c) + vector.loadVector(at: c), at: c)
            c += floatVectorWidth
        }
        while c < columns { row[c] += vector[c]; c += 1 }
    }
}

/// `destination[i] += source[i]` for `count` elements (a residual add).
package func addInPlace(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>,
                count: Int) {
    let vectorEnd = count / floatVectorWidth * floatVectorWidth
    var i = 0
    while i < vectorEnd {
        destination.storeVector(destination.loadVector(at: i) + source.loadVector(at: i), at: i)
        i += floatVectorWidth
    }
    while i < count { destination[i] += source[i]; i += 1 }
}

/// Mean pooling over tokens (MODEL.md §4), fed a block of rows at a time: each block is
/// summed in float and the blocks are accumulated in double, so 100k-token means stay
/// exact. The inference pass streams its final LayerNorm through it in token blocks and
/// training pools through the same steps, so both compute the same numbers.
package struct MeanPool {
    /// Rows per block: `DilatedViTModel`'s default token block.
    package static let blockLength = 1024

    private var total: [Double]
    private var blockSum: [Float]
    private var rows = 0

    package init(dimension: Int) {
        total = [Double](repeating: 0, count: dimension)
        blockSum = [Float](repeating: 0, count: dimension)
    }

    /// Adds `count` rows of `dimension` floats (one block).
    package mutating func add(_ block: UnsafePointer<Float>, count: Int) {
        let d = total.count
        blockSum.withUnsafeMutableBufferPointer { sum in
            sum.update(repeating: 0)
            for row in 0..<count { addInPlace(block + row * d, to: sum.baseAddress!, count: d) }
        }
        for c in 0..<d { total[c] += Double(blockSum[c]) }
        rows += count
    }

    /// Adds `count` rows in blocks of `blockLength`.
    package mutating func add(rows: UnsafePointer<Float>, count: Int, blockLength: Int = MeanPool.blockLength) {
        for start in stride(from: 0, to: count, by: blockLength) {
            add(rows + start * total.count, count: min(blockLength, count - start))
        }
    }

    /// Sums the rows of every rank of `group` (a sequence-parallel read's partial pools).
    package mutating func combine(in group: any ProcessGroup) {
        guard group.size > 1 else { return }
        var all = total + [Double(rows)]
        group.sum(&all)
        total = Array(all.dropLast())
        rows = Int(all.last!)
    }

    /// The mean of every row added.
    package var mean: [Float] { total.map { Float($0 / Double(rows)) } }
}

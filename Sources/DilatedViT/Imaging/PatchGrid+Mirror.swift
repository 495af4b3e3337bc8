extension PatchGrid {
    /// The grid of the photo mirrored left and right: patch columns in reverse order, each
    /// patch's pixel columns reversed too. Equal to cutting the flipped photo, without
    /// going back to pixels.
    public func mirrored() -> PatchGrid {
        let p = patchSize, features = featuresPerToken
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for row in 0..<rows {
                    for column in 0..<columns {
                        let from = (row * columns + column) * features
                        let to = (row * columns + columns - 1 - column) * features
                        // A patch is `3·p` pixel rows of `p` values: reverse each.
                        for line in stride(from: 0, to: features, by: p) {
                            for x in 0..<p { target[to + line + x] = source[from + line + p - 1 - x] }
                        }
                    }
                }
            }
        }
        return PatchGrid(rows: rows, columns: columns, patchSize: p, values: out)
    }

    /// The grid alone, or with its mirror image: the views a prediction is averaged over.
    package func views(includingMirror: Bool) -> [PatchGrid] {
        includingMirror ? [self, mirrored()] : [self]
    }
}

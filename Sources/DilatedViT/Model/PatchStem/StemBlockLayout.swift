/// Where element `(channel, y, x)` of one token's square feature map lives, relative to
/// the token's first float; a token's map is `side² · channels` contiguous floats.
///
/// The stem's 2×2 stride-2 convolutions never cross a patch border, so their im2col is a
/// per-token permutation: `gatherBlocks` lays a token's map out as `(u, v)` rows of
/// `(channel, a, b)` — the element at map position `(2u + a, 2v + b)` — which is the
/// flattening of a Conv2d weight `(out, in, 2, 2)`. `scatterBlocks` is its inverse.
package struct StemBlockLayout: Sendable, Equatable {
    package let side: Int
    let channels: Int
    let channelStride: Int
    let rowStride: Int
    let columnStride: Int

    /// `(channel, y, x)` storage, as in a `PatchGrid` token.
    static func channelFirst(side: Int, channels: Int) -> StemBlockLayout {
        StemBlockLayout(side: side, channels: channels, channelStride: side * side, rowStride: side, columnStride: 1)
    }

    /// `(y, x, channel)` storage: one row of channels per position, as a product writes it.
    static func channelLast(side: Int, channels: Int) -> StemBlockLayout {
        StemBlockLayout(side: side, channels: channels, channelStride: 1, rowStride: side * channels,
                        columnStride: channels)
    }

    var elementsPerToken: Int { side * side * channels }

    /// Calls `body(blockIndex, mapIndex)` for every element of one token, `blockIndex`
    /// running 0, 1, 2, … through the block rows.
    @inline(__always)
    func forEachBlockElement(_ body: (Int, Int) -> Void) {
        let half = side / 2
        var blockIndex = 0
        for u in 0..<half {
            for v in 0..<half {
                let origin = 2 * u * rowStride + 2 * v * columnStride
                for c in 0..<channels {
                    let corner = origin + c * channelStride
                    body(blockIndex, corner)
                    body(blockIndex + 1, corner + columnStride)
                    body(blockIndex + 2, corner + rowStride)
                    body(blockIndex + 3, corner + rowStride + columnStride)
                    blockIndex += 4
                }
            }
        }
    }
}

/// im2col of the stem: `blocks` receives `tokens` feature maps of `layout` from `maps` as
/// 2×2-block rows (`(token, u, v)` rows of `4·channels`). In parallel over tokens.
package func gatherBlocks(_ maps: UnsafePointer<Float>, layout: StemBlockLayout, tokens: Int,
                          into blocks: UnsafeMutablePointer<Float>) {
    layout.forEachElement(tokens: tokens) { blockIndex, mapIndex in blocks[blockIndex] = maps[mapIndex] }
}

/// The inverse of `gatherBlocks` (col2im without overlaps): writes block rows back to
/// feature maps of `layout`.
package func scatterBlocks(_ blocks: UnsafePointer<Float>, layout: StemBlockLayout, tokens: Int,
                           into maps: UnsafeMutablePointer<Float>) {
    layout.forEachElement(tokens: tokens) { blockIndex, mapIndex in maps[mapIndex] = blocks[blockIndex] }
}

extension StemBlockLayout {
    /// `forEachBlockElement` over `tokens` consecutive tokens (each `elementsPerToken` floats,
    /// in the block rows as in the maps), with indices from the first token's first float.
    /// In parallel over tokens.
    @inline(__always)
    fileprivate func forEachElement(tokens: Int, _ body: (_ blockIndex: Int, _ mapIndex: Int) -> Void) {
        let count = elementsPerToken
        parallelChunks(tokens, chunksPerWorker: 2) { range in
            for t in range {
                let start = t * count
                forEachBlockElement { blockIndex, mapIndex in body(start + blockIndex, start + mapIndex) }
            }
        }
    }
}

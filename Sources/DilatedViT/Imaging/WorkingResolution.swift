/// The size a photo is resized to before patchify: whole patches on both sides, the photo's
/// aspect ratio kept as closely as whole patches allow, and at most a token budget.
///
/// The rule: scale the photo uniformly by `k`; each side becomes `round(side·k / p)`
/// patches, at least 1, and — unless upscaling is allowed — at most `⌊side / p⌋` (one
/// patch at least even for a photo narrower than a patch). The largest `k` whose grid fits
/// the budget wins. The grid only grows with `k`, so a binary search finds it. Because the
/// clamps act per side, a 1×10,000 strip keeps one column and spends the budget on rows.
public struct WorkingResolution: Sendable, Equatable, CustomStringConvertible {
    /// Patch rows and columns.
    public let rows: Int
    public let columns: Int
    public let patchSize: Int

    public var width: Int { columns * patchSize }
    public var height: Int { rows * patchSize }
    public var tokenCount: Int { rows * columns }
    public var description: String { "\(width)×\(height) (\(columns)×\(rows) patches of \(patchSize))" }

    public init(rows: Int, columns: Int, patchSize: Int) {
        precondition(rows > 0 && columns > 0 && patchSize > 0)
        self.rows = rows
        self.columns = columns
        self.patchSize = patchSize
    }

    /// Chooses the working resolution for a `width × height` photo.
    /// - Parameters:
    ///   - maxTokens: the token budget; `0` means the native resolution (`⌊side / p⌋`
    ///     patches, or the photo's size scaled by nothing when upscaling is allowed).
    ///   - allowUpscaling: lets the grid exceed the photo's own size to reach the budget.
    public init(width: Int, height: Int, patchSize p: Int, maxTokens: Int, allowUpscaling: Bool = false) {
        precondition(width > 0 && height > 0 && p > 0 && maxTokens >= 0)
        // 2³¹ patches a side keeps every product of two sides inside Int: no budget, however
        // large, can overflow the arithmetic below (the memory check refuses such grids later).
        let sideLimit = 1 << 31
        let capColumns = allowUpscaling ? sideLimit : min(sideLimit, max(1, width / p))
        let capRows = allowUpscaling ? sideLimit : min(sideLimit, max(1, height / p))
        func grid(_ k: Double) -> (rows: Int, columns: Int) {
            func side(_ pixels: Int, cap: Int) -> Int {
                let patches = (Double(pixels) * k / Double(p)).rounded()
                return patches >= Double(cap) ? cap : max(1, Int(patches))
            }
            return (side(height, cap: capRows), side(width, cap: capColumns))
        }
        if maxTokens == 0 {
            // Native: scale 1, i.e. as many whole patches as the photo holds.
            let native = grid(1)
            self.init(rows: native.rows, columns: native.columns, patchSize: p)
            return
        }
        // Search k in [0, hi]: at hi the area alone exceeds the budget (or the caps bind).
        var lo = 0.0
        var hi = (Double(maxTokens).squareRoot() + 1) * Double(p) / Double(min(width, height)) * 2
        if !allowUpscaling { hi = min(hi, 1) }
        let top = grid(hi)
        if top.rows * top.columns <= maxTokens {
            lo = hi
        } else {
            for _ in 0..<200 where hi - lo > 1e-15 * hi {
                let mid = (lo + hi) / 2
                let g = grid(mid)
                if g.rows * g.columns <= maxTokens { lo = mid } else { hi = mid }
            }
        }
        let best = grid(lo)
        // A budget below one token still gets one patch: there is no smaller grid.
        self.init(rows: best.rows, columns: best.columns, patchSize: p)
    }
}

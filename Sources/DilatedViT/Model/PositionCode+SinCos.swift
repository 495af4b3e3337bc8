import Foundation

extension ModelArchitecture {
    /// Adds the position code of a `rows × columns` grid to `tokens` (`rows·columns × D`).
    package func addPositionCode(to tokens: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let scale = switch positionCode {
        case .sinCos2D: 1.0
        case .sinCos2DNormalised: Double(positionSpan) / Double(max(rows, columns, 1))
        }
        addSinCos2D(to: tokens, rows: rows, columns: columns, dimension: dimension, scale: scale)
    }
}

/// The 2D sine-cosine code of token (y, x): with `F = D/4` and `ω_i = 1/10000^(i/F)`,
/// `[sin(u·ω), cos(u·ω), sin(v·ω), cos(v·ω)]`, four blocks of `F`, at the coordinates
/// `u = (y + ½)·scale − ½`, `v = (x + ½)·scale − ½` (patch centres scaled about the grid's
/// corner; `scale` 1 gives `u = y`, `v = x` exactly).
///
/// Computed in double precision and rounded once, so large grids lose no accuracy in
/// the angle. The code is separable: one table per row and per column, then a copy.
func addSinCos2D(to tokens: UnsafeMutablePointer<Float>, rows: Int, columns: Int, dimension: Int,
                 scale: Double = 1) {
    let f = dimension / 4
    let frequencies = (0..<f).map { 1 / pow(10000, Double($0) / Double(f)) }
    func table(_ count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count * 2 * f)
        for position in 0..<count {
            let coordinate = scale == 1 ? Double(position) : (Double(position) + 0.5) * scale - 0.5
            for i in 0..<f {
                let angle = coordinate * frequencies[i]
                values[position * 2 * f + i] = Float(sin(angle))
                values[position * 2 * f + f + i] = Float(cos(angle))
            }
        }
        return values
    }
    let rowCodes = table(rows), columnCodes = table(columns)
    rowCodes.withUnsafeBufferPointer { rowCode in
        columnCodes.withUnsafeBufferPointer { columnCode in
            for y in 0..<rows {
                for x in 0..<columns {
                    let token = tokens + (y * columns + x) * dimension
                    addInPlace(rowCode.baseAddress! + y * 2 * f, to: token, count: 2 * f)
                    addInPlace(columnCode.baseAddress! + x * 2 * f, to: token + 2 * f, count: 2 * f)
                }
            }
        }
    }
}

/// The position code alone, `rows·columns × dimension` row-major (for tests and tools).
package func sinCos2DPositionCode(rows: Int, columns: Int, dimension: Int, scale: Double = 1) -> [Float] {
    var code = [Float](repeating: 0, count: rows * columns * dimension)
    code.withUnsafeMutableBufferPointer {
        addSinCos2D(to: $0.baseAddress!, rows: rows, columns: columns, dimension: dimension, scale: scale)
    }
    return code
}

import Foundation

extension ModelArchitecture {
    /// Adds the position code of a `rows × columns` grid to `tokens` (`rows·columns × D`);
    /// of only its rows `part` (`part.count·columns × D`) when given: a strip of a
    /// sequence-parallel read.
    package func addPositionCode(to tokens: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                 part: Range<Int>? = nil) {
        let scale = switch positionCode {
        case .sinCos2D: 1.0
        case .sinCos2DNormalised: Double(positionSpan) / Double(max(rows, columns, 1))
        }
        addSinCos2D(to: tokens, rows: part ?? 0..<rows, columns: columns, dimension: dimension, scale: scale)
    }
}

/// Adds the 2D sine-cosine code of the grid rows `rows` (all `columns` of each) to `tokens`
/// (`rows.count·columns × D`). The code of token (y, x): with `F = D/4` and `ω_i = 1/10000^(i/F)`,
/// `[sin(u·ω), cos(u·ω), sin(v·ω), cos(v·ω)]`, four blocks of `F`, at the coordinates
/// `u = (y + ½)·scale − ½`, `v = (x + ½)·scale − ½` (patch centres scaled about the grid's
/// corner; `scale` 1 gives `u = y`, `v = x` exactly).
///
/// Computed in double precision and rounded once, so large grids lose no accuracy in
/// the angle. The code is separable: one table per row and per column, then a copy.
func addSinCos2D(to tokens: UnsafeMutablePointer<Float>, rows: Range<Int>, columns: Int, dimension: Int,
                 scale: Double = 1) {
    let f = dimension / 4
    let frequencies = (0..<f).map { 1 / pow(10000, Double($0) / Double(f)) }
    func table(_ positions: Range<Int>) -> [Float] {
        var values = [Float](repeating: 0, count: positions.count * 2 * f)
        for (index, position) in positions.enumerated() {
            let coordinate = scale == 1 ? Double(position) : (Double(position) + 0.5) * scale - 0.5
            for i in 0..<f {
                let angle = coordinate * frequencies[i]
                values[index * 2 * f + i] = Float(sin(angle))
                values[index * 2 * f + f + i] = Float(cos(angle))
            }
        }
        return values
    }
    let rowCodes = table(rows), columnCodes = table(0..<columns)
    rowCodes.withUnsafeBufferPointer { rowCode in
        columnCodes.withUnsafeBufferPointer { columnCode in
            for y in 0..<rows.count {
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
        addSinCos2D(to: $0.baseAddress!, rows: 0..<rows, columns: columns, dimension: dimension, scale: scale)
    }
    return code
}

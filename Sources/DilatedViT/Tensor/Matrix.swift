/// A row-major, owned `rows × columns` matrix of `Float`.
///
/// Deliberately plain: the model keeps its weights and activations in these and hands
/// the storage to BLAS and the SIMD kernels through unsafe buffer pointers.
package struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// `rows × columns` values, row after row.
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "Matrix: \(values.count) values do not fill \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A matrix filled with `value` (zero by default).
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.init(rows: rows, columns: columns,
                  values: [Float](repeating: value, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }
}

/// An n-dimensional `Float` array with its shape: the unit that safetensors files
/// store and that weights are validated against.
package struct Tensor: Sendable, Equatable {
    public let shape: [Int]
    /// Values in row-major (C) order.
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(values.count == shape.reduce(1, *),
                     "Tensor: \(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public init(_ matrix: Matrix) {
        self.init(shape: [matrix.rows, matrix.columns], values: matrix.values)
    }

    public var elementCount: Int { values.count }
}

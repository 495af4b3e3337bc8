extension [[Float]] {
    /// The element-wise mean of equally long vectors (predictions of several views).
    package func elementwiseMean() -> [Float] {
        guard count > 1 else { return self[0] }
        var sum = self[0]
        for vector in dropFirst() {
            for i in sum.indices { sum[i] += vector[i] }
        }
        return sum.map { $0 / Float(count) }
    }
}

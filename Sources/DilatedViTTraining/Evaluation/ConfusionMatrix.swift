import Foundation
import DilatedViT

/// Counts of (true class, predicted class) pairs over `classCount` classes.
public struct ConfusionMatrix: Sendable, Equatable {
    public let classCount: Int
    /// Row-major `classCount × classCount`: `counts[truth · classCount + prediction]`.
    public private(set) var counts: [Int]

    public init(classCount: Int) {
        precondition(classCount > 0)
        self.classCount = classCount
        counts = [Int](repeating: 0, count: classCount * classCount)
    }

    /// A matrix of the given counts (row-major, `classCount × classCount`).
    public init(classCount: Int, counts: [Int]) {
        precondition(classCount > 0 && counts.count == classCount * classCount && counts.allSatisfy { $0 >= 0 })
        self.classCount = classCount
        self.counts = counts
    }

    public subscript(truth: Int, predicted: Int) -> Int {
        counts[truth * classCount + predicted]
    }

    public mutating func record(truth: Int, predicted: Int) {
        precondition((0..<classCount).contains(truth) && (0..<classCount).contains(predicted),
                     "class index outside 0..<\(classCount)")
        counts[truth * classCount + predicted] += 1
    }

    /// Records the arg-max of `logits` (the first one on ties) as the prediction.
    public mutating func record(truth: Int, logits: [Float]) {
        precondition(logits.count == classCount, "\(logits.count) logits for \(classCount) classes")
        record(truth: truth, predicted: Self.argmax(logits))
    }

    /// Adds another matrix's counts (e.g. from another thread or batch).
    public mutating func merge(_ other: ConfusionMatrix) {
        precondition(other.classCount == classCount)
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    public var total: Int { counts.reduce(0, +) }
    public var correct: Int { (0..<classCount).reduce(0) { $0 + self[$1, $1] } }
    /// Fraction predicted correctly; 0 when empty.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Photos of class `c`.
    public func support(of c: Int) -> Int { (0..<classCount).reduce(0) { $0 + self[c, $1] } }
    /// Photos predicted as `c`.
    public func predictions(of c: Int) -> Int { (0..<classCount).reduce(0) { $0 + self[$1, c] } }

    /// Of the photos of class `c`, the fraction predicted as `c`; `nil` without any.
    public func recall(of c: Int) -> Double? {
        let n = support(of: c)
        return n == 0 ? nil : Double(self[c, c]) / Double(n)
    }

    /// Of the photos predicted as `c`, the fraction that are `c`; `nil` without any.
    public func precision(of c: Int) -> Double? {
        let n = predictions(of: c)
        return n == 0 ? nil : Double(self[c, c]) / Double(n)
    }

    /// The counts with true classes as rows, predictions as columns, then recall and
    /// precision per class and the overall accuracy.
    public func table(labels: [String]) -> String {
        precondition(labels.count == classCount)
        let nameWidth = max(10, labels.map(\.count).max() ?? 0)
        let cell = max(7, min(10, labels.map(\.count).max() ?? 0) + 1, String(total).count + 1)
        func left(_ text: String) -> String { text.padding(toLength: nameWidth, withPad: " ", startingAt: 0) }
        func right(_ text: String) -> String {
            let clipped = String(text.prefix(cell - 1))
            return String(repeating: " ", count: cell - clipped.count) + clipped
        }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", 100 * $0) } ?? "–" }
        var text = left("true\\pred") + labels.map(right).joined() + right("recall") + "\n"
        for t in 0..<classCount {
            text += left(labels[t]) + (0..<classCount).map { right(String(self[t, $0])) }.joined()
                + right(percent(recall(of: t))) + "\n"
        }
        text += left("precision") + (0..<classCount).map { right(percent(precision(of: $0))) }.joined() + "\n"
        text += "accuracy \(String(format: "%.2f%%", 100 * accuracy)) (\(correct) of \(total))\n"
        return text
    }

    /// Index of the largest value (the first on ties; NaN never wins).
    public static func argmax(_ values: [Float]) -> Int {
        precondition(!values.isEmpty)
        var best = 0
        for i in values.indices.dropFirst() where values[i] > values[best] || values[best].isNaN { best = i }
        return best
    }
}

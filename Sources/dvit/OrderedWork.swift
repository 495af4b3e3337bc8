import Foundation

/// Computes `count` items on `workers` threads of its own (exactly that many, unlike
/// Dispatch, which caps at the core count) and hands results out in index order. Workers
/// run at most a few items ahead of the consumer, so memory stays bounded and the output
/// streams.
final class OrderedWork<Output: Sendable>: @unchecked Sendable {  // state guarded by `condition`
    private let count: Int
    private let lookahead: Int
    private let compute: @Sendable (Int) throws -> Output
    private let interruption: Interruption
    private let condition = NSCondition()
    private var nextToStart = 0
    private var consumed = 0
    private var results: [Int: Result<Output, any Error>] = [:]

    init(count: Int, workers: Int, interruption: Interruption, compute: @escaping @Sendable (Int) throws -> Output) {
        self.count = count
        self.lookahead = 4 * workers
        self.compute = compute
        self.interruption = interruption
        interruption.onSignal { [weak self] in self?.wake() }
        for _ in 0..<min(workers, count) {
            let thread = Thread { [self] in work() }
            thread.stackSize = 8 << 20  // the model's kernels expect a main-thread-sized stack
            thread.start()
        }
    }

    private func work() {
        Thread.current.name = "dvit-photo"  // names the thread in top and /proc
        while let index = claim() {
            let result = Result { try compute(index) }
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while nextToStart < count && nextToStart >= consumed + lookahead && !interruption.happened {
            condition.wait()
        }
        guard nextToStart < count && !interruption.happened else { return nil }
        nextToStart += 1
        return nextToStart - 1
    }

    private func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for item `index` (items are taken in order) and returns its result, or nil
    /// once a signal has interrupted the run.
    func result(_ index: Int) -> Result<Output, any Error>? {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil && !interruption.happened { condition.wait() }
        guard let result = results.removeValue(forKey: index), !interruption.happened else { return nil }
        consumed = index + 1
        condition.broadcast()
        return result
    }

    /// The results already computed from `index` on, in index order.
    func finishedResults(from index: Int) -> [(Int, Result<Output, any Error>)] {
        condition.lock()
        defer { condition.unlock() }
        return results.filter { $0.key >= index }.sorted { $0.key < $1.key }
    }
}

import CKernels
import Foundation

/// The one way the library and `dvit` run many photos concurrently with results in input
/// order: `count` items computed on `workers` threads of its own (exactly that many, unlike
/// Dispatch, which caps at the core count), handed out in index order. Workers run at most a
/// few items ahead of the consumer, so memory stays bounded and output streams; `stop()`
/// (an interrupted command) makes them take no new item and wakes a waiting consumer.
package final class OrderedWork<Output: Sendable>: @unchecked Sendable {  // state guarded by `condition`
    private let count: Int
    private let lookahead: Int
    private let compute: @Sendable (Int) -> Output
    private let condition = NSCondition()
    private var nextToStart = 0
    private var consumed = 0
    private var stopped = false
    private var results: [Int: Output] = [:]

    package init(count: Int, workers: Int, compute: @escaping @Sendable (Int) -> Output) {
        precondition(workers > 0, "OrderedWork: workers must be positive")
        self.count = count
        self.lookahead = 4 * workers
        self.compute = compute
        for _ in 0..<min(workers, count) {
            let thread = Thread { [self] in work() }
            thread.stackSize = 8 << 20  // the model's kernels expect a main-thread-sized stack
            thread.start()
        }
    }

    private func work() {
        ck_name_current_thread("dvit-photo")  // as top -H and /proc show it
        while let index = claim() {
            let result = compute(index)
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while nextToStart < count && nextToStart >= consumed + lookahead && !stopped {
            condition.wait()
        }
        guard nextToStart < count && !stopped else { return nil }
        nextToStart += 1
        return nextToStart - 1
    }

    /// Workers take no new item; a consumer waiting in `result(_:)` gets nil.
    package func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for item `index` (items are taken in order) and returns its result, or nil
    /// once the work is stopped.
    package func result(_ index: Int) -> Output? {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil && !stopped { condition.wait() }
        guard !stopped, let result = results.removeValue(forKey: index) else { return nil }
        consumed = index + 1
        condition.broadcast()
        return result
    }

    /// The results already computed from `index` on, in index order.
    package func finishedResults(from index: Int) -> [(Int, Output)] {
        condition.lock()
        defer { condition.unlock() }
        return results.filter { $0.key >= index }.sorted { $0.key < $1.key }
    }
}

import DilatedViT
import Foundation

/// N ranks in one process, one per thread: every collective waits for all N, then each
/// rank reads every rank's buffer and adds them in rank order (so all get the same sum).
final class ThreadRanks: ProcessGroup, @unchecked Sendable {
    let rank: Int
    let size: Int
    private let shared: Shared

    private init(rank: Int, size: Int, shared: Shared) {
        self.rank = rank
        self.size = size
        self.shared = shared
    }

    /// Runs `body(rank)` on `count` threads of their own (not a pool's, which may run
    /// fewer at once than the ranks a barrier waits for); false if they hang.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
        let done = DispatchGroup()
        for rank in 0..<count {
            done.enter()
            Thread {
                body(rank)
                done.leave()
            }.start()
        }
        return done.wait(timeout: .now() + 300) == .success
    }

    static func make(_ size: Int) -> [ThreadRanks] {
        let shared = Shared(size: size)
        return (0..<size).map { ThreadRanks(rank: $0, size: size, shared: shared) }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Float>) {
        reduce(UnsafeMutableRawPointer(values.baseAddress), count: values.count) { (sources: [UnsafeMutableRawPointer?], i: Int) in
            sources.reduce(Float(0)) { $0 + $1!.assumingMemoryBound(to: Float.self)[i] }
        }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        reduce(UnsafeMutableRawPointer(values.baseAddress), count: values.count) { (sources: [UnsafeMutableRawPointer?], i: Int) in
            sources.reduce(0.0) { $0 + $1!.assumingMemoryBound(to: Double.self)[i] }
        }
    }

    func gather(_ local: UnsafeBufferPointer<Float>, counts: [Int], into all: UnsafeMutableBufferPointer<Float>) {
        precondition(counts.count == size && counts[rank] == local.count && all.count == counts.reduce(0, +))
        shared.slots[rank] = UnsafeMutableRawPointer(mutating: local.baseAddress)
        shared.barrier()
        var offset = 0
        for (peer, count) in counts.enumerated() {
            if count > 0 {
                (all.baseAddress! + offset).update(from: shared.slots[peer]!.assumingMemoryBound(to: Float.self), count: count)
            }
            offset += count
        }
        shared.barrier()
    }

    /// Each rank posts its messages; after a barrier every rank copies those addressed to it,
    /// in order, into its buffers.
    func exchange(sending: [RankMessage], receiving: [RankBuffer]) {
        var posted = sending
        withUnsafeMutablePointer(to: &posted) { pointer in
            shared.slots[rank] = UnsafeMutableRawPointer(pointer)
            shared.barrier()
            var taken = [Int](repeating: 0, count: size)
            for buffer in receiving {
                let theirs = shared.slots[buffer.rank]!.assumingMemoryBound(to: [RankMessage].self).pointee
                let message = theirs.filter { $0.rank == rank }[taken[buffer.rank]]
                taken[buffer.rank] += 1
                precondition(message.values.count == buffer.values.count, "rank \(rank): \(message.values.count) floats from rank \(buffer.rank) for \(buffer.values.count)")
                buffer.values.baseAddress!.update(from: message.values.baseAddress!, count: message.values.count)
            }
            shared.barrier()
        }
    }

    func gather(_ value: UInt64) -> [UInt64] {
        var mine = value
        var all: [UInt64] = []
        withUnsafeMutablePointer(to: &mine) { pointer in
            shared.slots[rank] = UnsafeMutableRawPointer(pointer)
            shared.barrier()
            all = (0..<size).map { shared.slots[$0]!.assumingMemoryBound(to: UInt64.self).pointee }
            shared.barrier()
        }
        return all
    }

    private func reduce<T>(_ buffer: UnsafeMutableRawPointer?, count: Int,
                           _ element: ([UnsafeMutableRawPointer?], Int) -> T) {
        shared.slots[rank] = buffer
        shared.barrier()
        let slots = (0..<size).map { shared.slots[$0] }
        let sums = (0..<count).map { element(slots, $0) }
        shared.barrier()  // everyone has read every buffer: now each may overwrite its own
        if let buffer {
            let typed = buffer.assumingMemoryBound(to: T.self)
            for i in 0..<count { typed[i] = sums[i] }
        }
    }

    private final class Shared: @unchecked Sendable {
        let size: Int
        /// One pointer per rank, each written only by its rank, read after a barrier.
        let slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
        private let condition = NSCondition()
        private var arrived = 0
        private var generation = 0

        init(size: Int) {
            self.size = size
            slots = .allocate(capacity: size)
            slots.initialize(repeating: nil, count: size)
        }

        deinit { slots.deallocate() }

        func barrier() {
            condition.lock()
            defer { condition.unlock() }
            let mine = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
        }
    }
}

/// One value per rank, set from the ranks' threads.
final class ResultList<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Value?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Value) { lock.withLock { values[index] = value } }
    var all: [Value] { lock.withLock { values.map { $0! } } }
}

import Foundation
import DilatedViT

/// Delivers the batches of a list of plans, in order, while background threads decode and
/// augment the next ones.
///
/// Work is handed out one image at a time in plan order, so several threads share a batch
/// (parallel decode within a batch) and then run ahead into the next ones — at most
/// `prefetchedBatches` batches beyond the one being consumed, which bounds memory. Training
/// compute uses the same cores, so the default is one thread. Photos that cannot be decoded
/// are left out of their batch (the `ImageStore` reports them); a batch left empty is skipped.
///
/// Iterate it (`for batch in loader`) from one consumer. Stopping early is fine: `cancel()`
/// or dropping the loader stops the threads after their current image.
public final class PrefetchingBatchLoader: Sequence, IteratorProtocol, Sendable {
    private let state: LoaderState

    /// - Parameters:
    ///   - threads: background threads; `0` builds each batch on the consumer's thread in `next()`.
    ///   - prefetchedBatches: how many batches may be built ahead of the consumer.
    public init(plans: [BatchPlan], assembler: BatchAssembler, threads: Int = 1, prefetchedBatches: Int = 3) {
        precondition(threads >= 0 && prefetchedBatches > 0)
        precondition(plans.allSatisfy { !$0.samples.isEmpty }, "PrefetchingBatchLoader: a plan has no samples")
        state = LoaderState(plans: plans, assembler: assembler, depth: prefetchedBatches,
                            background: threads > 0)
        for i in 0..<threads {
            let state = state
            let thread = Thread { state.work() }
            thread.name = "dvit-loader-\(i)"
            thread.start()
        }
    }

    deinit { state.cancel() }

    /// The next batch, waiting for it if needed; `nil` after the last one or after `cancel()`.
    public func next() -> TrainingBatch? {
        state.next()
    }

    /// Stops the background threads; `next()` returns `nil` from now on.
    public func cancel() {
        state.cancel()
    }

    /// Seconds `next()` has spent waiting for batches that were not ready yet: near zero
    /// when loading keeps up with compute.
    public var waitingSeconds: Double {
        state.waitingSeconds
    }
}

/// The loader's shared state; every mutable property is guarded by `condition`.
private final class LoaderState: @unchecked Sendable {
    private struct Slot {
        var grids: [AssembledGrid?]
        var remaining: Int
    }

    let plans: [BatchPlan]
    let assembler: BatchAssembler
    let depth: Int
    let background: Bool
    private let condition = NSCondition()
    /// Next image to hand out.
    private var claimBatch = 0
    private var claimPosition = 0
    /// Batches started and not yet delivered.
    private var slots: [Int: Slot] = [:]
    /// Next batch to deliver.
    private var delivered = 0
    private var cancelled = false
    private var waited: Double = 0

    init(plans: [BatchPlan], assembler: BatchAssembler, depth: Int, background: Bool) {
        self.plans = plans
        self.assembler = assembler
        self.depth = depth
        self.background = background
    }

    /// A background thread's loop: claim an image, build it outside the lock, store it.
    func work() {
        condition.lock()
        while !cancelled && claimBatch < plans.count {
            if claimBatch >= delivered + depth {
                condition.wait()
                continue
            }
            let (b, k) = (claimBatch, claimPosition)
            let plan = plans[b]
            if k == 0 {
                slots[b] = Slot(grids: [AssembledGrid?](repeating: nil, count: plan.samples.count),
                                remaining: plan.samples.count)
            }
            claimPosition += 1
            if claimPosition == plan.samples.count {
                claimBatch += 1
                claimPosition = 0
            }
            condition.unlock()
            let grid = assembler.grid(sample: plan.samples[k], rows: plan.rows, columns: plan.columns,
                                      seed: plan.seeds[k])
            condition.lock()
            if cancelled { break }  // `cancel()` dropped the slots
            slots[b]!.grids[k] = grid
            slots[b]!.remaining -= 1
            if slots[b]!.remaining == 0 { condition.broadcast() }
        }
        condition.unlock()
    }

    func next() -> TrainingBatch? {
        if !background { return nextOnCallingThread() }
        let start = DispatchTime.now().uptimeNanoseconds
        condition.lock()
        defer {
            waited += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            condition.unlock()
        }
        while !cancelled && delivered < plans.count {
            guard let slot = slots[delivered], slot.remaining == 0 else {
                condition.wait()
                continue
            }
            slots[delivered] = nil
            let plan = plans[delivered]
            delivered += 1
            condition.broadcast()  // a slot is free: workers may claim further ahead
            let batch = assembler.batch(plan, grids: slot.grids)
            if batch.count > 0 { return batch }
        }
        return nil
    }

    private func nextOnCallingThread() -> TrainingBatch? {
        while true {
            condition.lock()
            guard !cancelled && delivered < plans.count else {
                condition.unlock()
                return nil
            }
            let plan = plans[delivered]
            delivered += 1
            condition.unlock()
            let batch = assembler.batch(plan)
            if batch.count > 0 { return batch }
        }
    }

    func cancel() {
        condition.lock()
        cancelled = true
        slots.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var waitingSeconds: Double {
        condition.lock()
        defer { condition.unlock() }
        return waited
    }
}

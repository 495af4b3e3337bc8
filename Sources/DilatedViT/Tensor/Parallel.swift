import Dispatch
import Foundation

/// Worker count for the library's own parallel loops.
///
/// These loops run only between BLAS calls, so they never compete with OpenBLAS's
/// thread pool (which is sized to the same cores).
let parallelWorkerCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Runs `body(i)` for `i in 0..<count`, concurrently when there is more than one item
/// and more than one core, and returns when all are done.
///
/// This is the library's one unchecked concurrency boundary: the kernels hand raw
/// buffer pointers to `body`, which must only write memory that no other `i` touches
/// (disjoint rows, heads or windows) and only read memory nobody writes meanwhile.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count == 1 || parallelWorkerCount == 1 {
        for i in 0..<count { body(i) }
    } else if count > 1 {
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { shared.value($0) }
        }
    }
}

/// Splits `0..<total` into about `chunksPerWorker × workers` contiguous ranges and runs
/// `body` on each concurrently; cheap per-range setup (scratch buffers) happens once
/// per range instead of once per item.
func parallelChunks(_ total: Int, chunksPerWorker: Int = 4, _ body: (Range<Int>) -> Void) {
    guard total > 0 else { return }
    let chunks = min(total, parallelWorkerCount * chunksPerWorker)
    parallelFor(chunks) { c in
        let start = total * c / chunks, end = total * (c + 1) / chunks
        if start < end { body(start..<end) }
    }
}

/// Splits `rows` rows of a matrix product into bands of at least 64 rows (below that,
/// splitting costs more than it saves), at most one per core, and runs
/// `body(start, end)` on each concurrently. Every product kernel splits this way, so each
/// output row is computed by one call whatever the kernel.
func forEachRowBand(_ rows: Int, _ body: (_ start: Int, _ end: Int) -> Void) {
    let bands = max(1, min(parallelWorkerCount, rows / 64))
    parallelFor(bands) { band in body(rows * band / bands, rows * (band + 1) / bands) }
}

/// Carries a value whose thread safety `parallelFor`'s contract guarantees instead of the type system.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

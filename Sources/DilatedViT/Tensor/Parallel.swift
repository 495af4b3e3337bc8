import CKernels
import Foundation

/// Worker count for the library's own parallel loops.
///
/// The library owns the threads: OpenBLAS is set single-threaded (`BLAS.swift`) and large
/// products are split into row bands on this same pool, so no second pool competes for
/// the cores. One per core this process may run on (its CPU affinity: `mpirun` binds each
/// rank to its cores, `taskset` and container limits restrict a process), unless
/// `DVIT_THREADS` says otherwise (`dvit-mpi` sets it to the cores per rank on a node when
/// ranks are not bound).
package let parallelWorkerCount = max(1, ProcessInfo.processInfo.environment["DVIT_THREADS"].flatMap { Int($0) }
    ?? Int(ck_usable_cores()))

/// Runs `body(i)` for `i in 0..<count` on the calling thread and the library's worker
/// threads (`ck_parallel_for`: one pool, its workers spinning briefly between loops), and
/// returns when all are done. A call made while another runs — from another thread, or
/// nested in a body — runs inline, so the cores are never oversubscribed.
///
/// This is the library's one unchecked concurrency boundary: the kernels hand raw
/// buffer pointers to `body`, which must only write memory that no other `i` touches
/// (disjoint rows, heads or windows) and only read memory nobody writes meanwhile.
package func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        withUnsafePointer(to: body) { pointer in
            ck_parallel_for(count, parallelWorkerCount, { context, index in
                context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
            }, UnsafeMutableRawPointer(mutating: pointer))
        }
    }
}

/// Splits `0..<total` into about `chunksPerWorker × workers` contiguous ranges and runs
/// `body` on each concurrently; cheap per-range setup (scratch buffers) happens once
/// per range instead of once per item.
package func parallelChunks(_ total: Int, chunksPerWorker: Int = 4, _ body: (Range<Int>) -> Void) {
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
package func forEachRowBand(_ rows: Int, _ body: (_ start: Int, _ end: Int) -> Void) {
    let bands = max(1, min(parallelWorkerCount, rows / 64))
    parallelFor(bands) { band in body(rows * band / bands, rows * (band + 1) / bands) }
}


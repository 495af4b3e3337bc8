import Foundation
import DilatedViT

/// The processes ("ranks") that train one model together, data-parallel: every rank holds
/// the same parameters, computes the gradient of its share of each global batch, and the
/// shares are summed across ranks before the same optimizer update runs everywhere
/// (docs/DISTRIBUTED.md).
///
/// The trainer's code is the same for one process and for N: `SingleProcessGroup` (the
/// default) makes every collective a no-op, and the `MPI/` package implements this
/// protocol over MPI (`MPI_Allreduce`, `MPI_Allgather`), keeping MPI out of this package.
///
/// Every rank must call the collectives in the same order with the same element counts.
/// Implementations do not return on a communication failure: they end the whole job.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, `0..<size`; rank 0 writes checkpoints and logs.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` on every rank by their element-wise sum over all ranks (all-reduce).
    func sum(_ values: UnsafeMutableBufferPointer<Float>)
    func sum(_ values: UnsafeMutableBufferPointer<Double>)
    /// Every rank's `value`, in rank order, on every rank (all-gather).
    func gather(_ value: UInt64) -> [UInt64]
}

extension ProcessGroup {
    public func sum(_ values: inout [Float]) { values.withUnsafeMutableBufferPointer { sum($0) } }
    public func sum(_ values: inout [Double]) { values.withUnsafeMutableBufferPointer { sum($0) } }

    /// This rank's part of `0..<count` when it is cut into `size` contiguous parts whose
    /// lengths differ by at most one (the first `count % size` ranks take one more).
    public func share(of count: Int) -> Range<Int> {
        shareRange(of: count, rank: rank, size: size)
    }
}

/// Rank `rank`'s contiguous part of `0..<count` cut into `size` parts (see `ProcessGroup.share(of:)`).
public func shareRange(of count: Int, rank: Int, size: Int) -> Range<Int> {
    precondition(size > 0 && (0..<size).contains(rank) && count >= 0)
    let base = count / size, extra = count % size
    let start = rank * base + min(rank, extra)
    return start..<(start + base + (rank < extra ? 1 : 0))
}

/// One process training alone: rank 0 of 1, every collective a no-op.
public final class SingleProcessGroup: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {}
    public func gather(_ value: UInt64) -> [UInt64] { [value] }
}

/// The process group a `Trainer` joins when none is passed: a single process, unless an
/// executable installs another before running the command line (the MPI package's
/// `dvit-mpi` installs its MPI group, then runs the same `dvit` commands).
public enum ProcessGroups {
    private static let storage = InstalledGroup()

    public static var current: any ProcessGroup { storage.group }

    public static func install(_ group: any ProcessGroup) { storage.group = group }
}

private final class InstalledGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var installed: any ProcessGroup = SingleProcessGroup()
    var group: any ProcessGroup {
        get { lock.withLock { installed } }
        set { lock.withLock { installed = newValue } }
    }
}

extension BatchPlan {
    /// Rank `rank`'s contiguous share of this plan's samples (and their augmentation seeds)
    /// out of `size` ranks; it keeps the plan's index and grid, and may be empty.
    public func share(rank: Int, of size: Int) -> BatchPlan {
        let part = shareRange(of: samples.count, rank: rank, size: size)
        var plan = self
        plan.samples = Array(samples[part])
        plan.seeds = Array(seeds[part])
        return plan
    }
}

/// The project's FNV-1a (`fnv1a64`) continued over several values, each after its length, to
/// check that ranks start and stay identical.
struct Checksum {
    private(set) var value = fnv1a64([UInt8]())

    private mutating func append(_ bytes: some Sequence<UInt8>) { value = fnv1a64(bytes, continuing: value) }

    mutating func add(_ number: Int) {
        withUnsafeBytes(of: Int64(number).littleEndian) { append($0) }
    }

    mutating func add(_ floats: [Float]) {
        add(floats.count)
        floats.withUnsafeBytes { append($0) }
    }

    mutating func add(_ bytes: Data) {
        add(bytes.count)
        append(bytes)
    }

    mutating func add(_ text: String) { add(Data(text.utf8)) }
}

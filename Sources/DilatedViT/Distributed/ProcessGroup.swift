import Foundation

/// The processes ("ranks") that work on one job together (docs/DISTRIBUTED.md): training
/// data-parallel (every rank computes the gradient of its share of each global batch, and
/// the shares are summed before the same optimizer update runs everywhere), or reading one
/// photo sequence-parallel (every rank holds a strip of its patch rows, `StripForward`).
///
/// The code is the same for one process and for N: `SingleProcessGroup` (the default)
/// makes every collective a no-op, and the `MPI/` package implements this protocol over
/// MPI (`MPI_Allreduce`, `MPI_Allgatherv`, `MPI_Isend`/`MPI_Irecv`), keeping MPI out of
/// this package.
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
    /// Every rank's `local` floats, concatenated in rank order into `all` on every rank;
    /// `counts[r]` is rank r's count, the same array on every rank (all-gather, variable).
    func gather(_ local: UnsafeBufferPointer<Float>, counts: [Int], into all: UnsafeMutableBufferPointer<Float>)
    /// Point to point, called by every rank at once (with nothing to send or receive, too):
    /// sends every message of `sending` to its rank and fills every buffer of `receiving`
    /// from its rank; two ranks' messages to each other pair up in order.
    func exchange(sending: [RankMessage], receiving: [RankBuffer])
}

/// Floats for one rank (`ProcessGroup.exchange`).
public struct RankMessage {
    public var rank: Int
    public var values: UnsafeBufferPointer<Float>
    public init(rank: Int, values: UnsafeBufferPointer<Float>) {
        self.rank = rank
        self.values = values
    }
}

/// Room for floats from one rank (`ProcessGroup.exchange`).
public struct RankBuffer {
    public var rank: Int
    public var values: UnsafeMutableBufferPointer<Float>
    public init(rank: Int, values: UnsafeMutableBufferPointer<Float>) {
        self.rank = rank
        self.values = values
    }
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
    public func gather(_ local: UnsafeBufferPointer<Float>, counts: [Int], into all: UnsafeMutableBufferPointer<Float>) {
        precondition(counts == [local.count] && all.count == local.count)
        if let base = local.baseAddress { all.baseAddress!.update(from: base, count: local.count) }
    }
    public func exchange(sending: [RankMessage], receiving: [RankBuffer]) {
        precondition(sending.isEmpty && receiving.isEmpty, "a single process has no other rank")
    }
}

/// The process group a `Trainer` (or a sequence-parallel read) joins when none is passed: a single process, unless an
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


import CMPI
import DilatedViT
import Foundation

/// DilatedViT's `ProcessGroup` over MPI_COMM_WORLD: sums are `MPI_Allreduce` (`MPI_SUM`,
/// in place), gathers `MPI_Allgather(v)`, the halo exchange `MPI_Isend`/`MPI_Irecv`. MPI's default error
/// handler ends the whole job on a communication failure, so no call returns an error.
///
/// Start it once per process (`start()`, i.e. `MPI_Init`), call the collectives only from
/// that thread, and end with `finish()` (`MPI_Finalize`) or `abort(_:)`.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Initialises MPI; `nil` when that fails (MPI has then printed why).
    public static func start() -> MPIProcessGroup? {
        guard dvit_mpi_init() == MPI_SUCCESS else { return nil }
        return MPIProcessGroup(rank: Int(dvit_mpi_rank()), size: Int(dvit_mpi_size()))
    }

    /// Most elements one MPI call takes (its counts are `Int32`).
    private static let chunk = 1 << 28

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {
        guard size > 1, let base = values.baseAddress else { return }
        for start in stride(from: 0, to: values.count, by: Self.chunk) {
            _ = dvit_mpi_sum_floats(base + start, Int32(min(Self.chunk, values.count - start)))
        }
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard size > 1, let base = values.baseAddress else { return }
        for start in stride(from: 0, to: values.count, by: Self.chunk) {
            _ = dvit_mpi_sum_doubles(base + start, Int32(min(Self.chunk, values.count - start)))
        }
    }

    public func gather(_ value: UInt64) -> [UInt64] {
        var all = [UInt64](repeating: 0, count: size)
        all.withUnsafeMutableBufferPointer { _ = dvit_mpi_gather_uint64(value, $0.baseAddress!) }
        return all
    }

    public func gather(_ local: UnsafeBufferPointer<Float>, counts: [Int], into all: UnsafeMutableBufferPointer<Float>) {
        precondition(counts.count == size && counts[rank] == local.count && all.count == counts.reduce(0, +))
        precondition(all.count < Int(Int32.max), "an all-gather of \(all.count) floats exceeds MPI's Int32 counts")
        let counts32 = counts.map { Int32($0) }
        let displacements = counts32.reduce(into: [Int32(0)]) { $0.append($0.last! + $1) }
        var placeholder: Float = 0  // MPI wants a valid address even for zero floats
        withUnsafeMutablePointer(to: &placeholder) { empty in
            _ = dvit_mpi_gather_floats(local.baseAddress ?? UnsafePointer(empty), Int32(local.count),
                                       all.baseAddress ?? empty, counts32, displacements)
        }
    }

    public func exchange(sending: [RankMessage], receiving: [RankBuffer]) {
        guard size > 1 else { return precondition(sending.isEmpty && receiving.isEmpty) }
        precondition((sending.map(\.values.count) + receiving.map(\.values.count)).allSatisfy { $0 < Int(Int32.max) },
                     "a message exceeds MPI's Int32 counts")
        let sendBuffers: [UnsafePointer<Float>?] = sending.map(\.values.baseAddress)
        let receiveBuffers: [UnsafeMutablePointer<Float>?] = receiving.map(\.values.baseAddress)
        _ = dvit_mpi_exchange_floats(
            Int32(sending.count), sendBuffers, sending.map { Int32($0.values.count) }, sending.map { Int32($0.rank) },
            Int32(receiving.count), receiveBuffers, receiving.map { Int32($0.values.count) },
            receiving.map { Int32($0.rank) })
    }

    /// Ends every rank of the job with `code` (`MPI_Abort`).
    public func abort(_ code: Int32) -> Never {
        _ = dvit_mpi_abort(code)
        exit(code)  // MPI_Abort does not return; this keeps the compiler sure of it
    }

    /// `MPI_Finalize`: every rank calls it once, after its last collective.
    public func finish() {
        _ = dvit_mpi_finalize()
    }
}

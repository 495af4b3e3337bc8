import Foundation

/// The memory that photos being read at once may take together. Before decoding, each
/// photo reserves its estimated peak (file bytes, decode, resize, patch grid, forward-pass
/// activations) and releases it when its result is ready. A photo whose estimate exceeds
/// the whole limit fails at once with `exceedsMemoryLimit`, never half-way through an
/// allocation; photos that fit wait for each other instead of exhausting memory together.
package final class MemoryBudget: @unchecked Sendable {  // state guarded by `condition`
    public let limitBytes: Int
    private let condition = NSCondition()
    private var reservedBytes = 0

    public init(limitBytes: Int) {
        precondition(limitBytes > 0, "MemoryBudget: the limit must be positive")
        self.limitBytes = limitBytes
    }

    /// Shared by every classifier that is not given its own budget.
    public static let standard = MemoryBudget(limitBytes: defaultLimitBytes)

    /// 60% of the memory this process may use: physical memory, or the cgroup's limit when
    /// that is lower (containers, Slurm jobs). The rest is left to the weights, the
    /// allocator's slack and whatever else runs on the machine.
    public static var defaultLimitBytes: Int {
        var available = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let cgroup = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), cgroup > 0 {
            available = min(available, cgroup)
        }
        return max(available / 10 * 6, 1)
    }

    /// Waits until `bytes` fit beside the other reservations and takes them; returns false
    /// at once when `bytes` alone exceed the limit.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes <= limitBytes else { return false }
        condition.lock()
        defer { condition.unlock() }
        while reservedBytes + bytes > limitBytes { condition.wait() }
        reservedBytes += bytes
        return true
    }

    func release(_ bytes: Int) {
        condition.lock()
        reservedBytes -= bytes
        condition.broadcast()
        condition.unlock()
    }
}

import ArgumentParser
import DilatedViT

/// `--shard k/n`: a stable share of the inputs for job k of n (0-based, like Slurm array
/// and Kubernetes indexed-job indices). A path belongs to shard `hash(path) mod n`, with
/// FNV-1a over its bytes: independent of input order and of which other paths exist, so
/// n jobs given the same listing cover every photo exactly once.
struct Shard: Equatable {
    var index: Int
    var count: Int

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `k/n`, saying what is wrong with anything else.
    init(parsing argument: String) throws {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ValidationError("--shard takes k/n, two whole numbers such as 2/8, not '\(argument)'")
        }
        guard count > 0 else { throw ValidationError("--shard \(argument): the share count n must be at least 1") }
        guard index >= 0 && index < count else {
            throw ValidationError("--shard \(argument): k counts from 0, so it must lie in 0...\(count - 1)")
        }
        self.init(index: index, count: count)
    }

    func contains(_ path: String) -> Bool {
        fnv1a64(path.utf8) % UInt64(count) == UInt64(index)
    }
}

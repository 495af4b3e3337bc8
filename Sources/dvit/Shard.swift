import ArgumentParser

/// `--shard k/n`: a stable share of the inputs for job k of n (0-based, like Slurm array
/// and Kubernetes indexed-job indices). A path belongs to shard `hash(path) mod n`, with
/// FNV-1a over its bytes: independent of input order and of which other paths exist, so
/// n jobs given the same listing cover every photo exactly once.
struct Shard: ExpressibleByArgument, Equatable {
    var index: Int
    var count: Int

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
              count > 0, index >= 0, index < count else { return nil }
        self.init(index: index, count: count)
    }

    static var defaultCompletionKind: CompletionKind { .default }

    func contains(_ path: String) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash % UInt64(count) == UInt64(index)
    }
}

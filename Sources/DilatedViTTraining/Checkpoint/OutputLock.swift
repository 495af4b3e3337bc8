import Foundation
import DilatedViT

/// An exclusive flock(2) on `<run>/.lock`, held while a trainer may write the run folder, so
/// that a second trainer on the same `--output` stops at once instead of interleaving its
/// checkpoints with the first one's. The kernel drops the lock when the process dies, so a
/// killed run never leaves a stale lock; the file keeps the holder's pid for the message.
final class OutputLock {
    private let descriptor: Int32

    init(folder: String) throws(CheckpointError) {
        let path = (folder as NSString).appendingPathComponent(".lock")
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DurableFiles.failure(path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw .locked(folder: folder, pid: holder?.isEmpty == false ? holder : nil)
        }
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, $0.count, 0) }
    }

    deinit {
        close(descriptor)  // releases the lock
    }
}

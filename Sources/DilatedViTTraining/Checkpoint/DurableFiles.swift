import Foundation
import DilatedViT

/// The few file operations a checkpoint needs, on POSIX calls so that each one is durable
/// (written data and renames are fsynced before the next step relies on them) and each
/// failure is a `CheckpointError` naming the path with strerror's reason — "No space left
/// on device" rather than Foundation's `NSCocoaErrorDomain Code=640`.
enum DurableFiles {
    /// Creates or truncates `path`, writes `data` and fsyncs it. On failure the caller removes
    /// what it wrote (a `.partial` name it owns); this never unlinks a path it was given.
    static func write(_ data: Data, to path: String) throws(CheckpointError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(path) }
        var error: CheckpointError?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    error = failure(path)
                    return
                }
                offset += written
            }
        }
        if error == nil && fsync(descriptor) != 0 { error = failure(path) }
        if close(descriptor) != 0 && error == nil { error = failure(path) }
        if let error { throw error }
    }

    /// Writes `data` to a temporary name beside `path` and renames it over `path`: readers
    /// see the old file or the new one, never a mixture.
    static func replace(_ path: String, with data: Data) throws(CheckpointError) {
        try replaceAtomically(path) { temporary throws(CheckpointError) in try write(data, to: temporary) }
    }

    /// Points the symbolic link `path` at `target` in one rename(2), replacing any link there.
    static func link(_ path: String, to target: String) throws(CheckpointError) {
        try replaceAtomically(path) { temporary throws(CheckpointError) in
            guard symlink(target, temporary) == 0 else { throw failure(temporary) }
        }
    }

    /// Makes `path` change in one rename(2): `create` makes a temporary sibling, which then
    /// replaces `path`, and the folder is synced. A failed attempt leaves no temporary behind.
    private static func replaceAtomically(_ path: String,
                                          create: (String) throws(CheckpointError) -> Void) throws(CheckpointError) {
        let temporary = sibling(of: path, named: "." + (path as NSString).lastPathComponent + ".partial")
        unlink(temporary)
        do {
            try create(temporary)
            try rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        try syncFolder(containing: path)
    }

    static func rename(_ source: String, to destination: String) throws(CheckpointError) {
        guard Foundation.rename(source, destination) == 0 else { throw failure(destination) }
    }

    static func makeFolder(_ path: String) throws(CheckpointError) {
        guard mkdir(path, 0o755) == 0 else { throw failure(path) }
    }

    /// Makes the folder's entries (new files, renames) durable.
    static func syncFolder(_ path: String) throws(CheckpointError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(path) }
    }

    static func syncFolder(containing path: String) throws(CheckpointError) {
        try syncFolder((path as NSString).deletingLastPathComponent)
    }

    /// Removes a file or a folder tree; a leftover that cannot be removed is retried on the
    /// next start, so failures are ignored.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func sibling(of path: String, named name: String) -> String {
        ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }

    static func failure(_ path: String) -> CheckpointError {
        .cannotWrite(path: path, reason: String(cString: strerror(errno)))
    }
}

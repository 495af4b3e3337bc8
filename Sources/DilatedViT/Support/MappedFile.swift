import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole file whose pages can be handed back as soon as they
/// have been read. Mapped pages count towards the resident set, so a loader that converts
/// a file piece by piece and releases each piece peaks at its output plus one piece instead
/// of output plus file: for the weights, the difference between ~weights and ~2× weights.
final class MappedFile {
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws(POSIXError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.lastError() }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.lastError() }
        guard (status.st_mode & S_IFMT) != S_IFDIR else { throw POSIXError(.EISDIR) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw POSIXError(.EINVAL) }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else { throw Self.lastError() }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    private static func lastError() -> POSIXError { POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }

    /// Drops the whole pages inside `range` (byte offsets) from memory; reading them again
    /// would fault them back in from the file.
    func release(_ range: Range<Int>) {
        guard let base = bytes.baseAddress else { return }
        releasePages(UnsafeMutableRawPointer(mutating: base), bytes: range)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// Gives the whole pages inside `range` (byte offsets from `base`) back to the system: a
/// mapped file's pages are read again from the file if touched, anonymous memory's come back
/// as zeros. For memory that will not be read again.
func releasePages(_ base: UnsafeMutableRawPointer, bytes range: Range<Int>) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let address = Int(bitPattern: base)
    let first = (address + range.lowerBound + page - 1) / page * page
    let last = (address + range.upperBound) / page * page
    if first < last { madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, MADV_DONTNEED) }
}

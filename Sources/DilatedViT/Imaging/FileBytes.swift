#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads through POSIX, so failures carry the real errno (Foundation's
/// messages differ between platforms). Only regular files are read: a FIFO would block
/// forever and a device (`/dev/zero`) never ends, so both are refused before any read, and
/// so is a file larger than `maxBytes` (a sparse 20 GB file is cheap to make, not to read).
package enum FileBytes {
    package static func contents(ofFile path: String, maxBytes: Int) throws(ImageDecodingError) -> [UInt8] {
        func failure(_ code: Int32) -> ImageDecodingError {
            ImageDecodingError(.unreadable(errno: code, reason: String(cString: strerror(code))),
                               file: path)
        }
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if descriptor < 0 { throw failure(errno) }
        defer { close(descriptor) }

        var status = stat()
        if fstat(descriptor, &status) != 0 { throw failure(errno) }
        if status.st_mode & S_IFMT == S_IFDIR { throw failure(EISDIR) }
        if let kind = FileKind(mode: status.st_mode), kind != .regular {
            throw ImageDecodingError(.notARegularFile(kind.name), file: path)
        }
        let size = Int(status.st_size)
        if size > maxBytes { throw ImageDecodingError(.fileTooLarge(bytes: size, limit: maxBytes), file: path) }

        // fstat's size is only a hint (a file that grows meanwhile): read until end of
        // file, but never past the limit. One spare byte lets the common case finish with
        // a single read plus the EOF read.
        var bytes = [UInt8](repeating: 0, count: max(size, 0) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                guard count <= maxBytes else {
                    throw ImageDecodingError(.fileTooLarge(bytes: count, limit: maxBytes), file: path)
                }
                bytes.append(contentsOf: repeatElement(0, count: min(max(count, 1 << 16), maxBytes + 1 - count + 1)))
            }
            let got = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            count += got
        }
        if count > maxBytes { throw ImageDecodingError(.fileTooLarge(bytes: count, limit: maxBytes), file: path) }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}

/// The type of a file-system entry, from `stat`'s mode bits.
enum FileKind: Equatable {
    case regular, directory, symbolicLink, fifo, characterDevice, blockDevice, socket

    init?(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .regular: "a regular file"
        case .directory: "a directory"
        case .symbolicLink: "a symbolic link"
        case .fifo: "a FIFO (named pipe)"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        }
    }
}

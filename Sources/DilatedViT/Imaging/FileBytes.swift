#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads through POSIX, so failures carry the real errno (Foundation's
/// messages differ between platforms) and a directory is refused up front.
enum FileBytes {
    static func contents(ofFile path: String) throws(ImageDecodingError) -> [UInt8] {
        func failure(_ code: Int32) -> ImageDecodingError {
            ImageDecodingError(.unreadable(errno: code, reason: String(cString: strerror(code))),
                               file: path)
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw failure(errno) }
        defer { close(descriptor) }

        var status = stat()
        if fstat(descriptor, &status) != 0 { throw failure(errno) }
        if status.st_mode & S_IFMT == S_IFDIR { throw failure(EISDIR) }

        // fstat's size is only a hint (pipes, files that change): read until end of file.
        // One spare byte lets the common case finish with a single read plus the EOF read.
        var bytes = [UInt8](repeating: 0, count: max(Int(status.st_size), 0) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: max(count, 1 << 16)))
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
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}

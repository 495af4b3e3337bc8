#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered, checked writes of whole lines. Each line is handed to the kernel as soon as
/// it is ready, so an interrupted run leaves only complete lines behind; a failed write (a
/// full disk, a closed file) is an error instead of silently lost output.
enum StandardStreams {
    static func writeOutput(_ line: String) throws(OutputError) {
        if let code = writeAll(line + "\n", to: STDOUT_FILENO) { throw OutputError(errno: code) }
    }

    /// Messages for the user; a failure to write them has nowhere to be reported.
    static func writeError(_ line: String) {
        _ = writeAll(line + "\n", to: STDERR_FILENO)
    }

    private static func writeAll(_ text: String, to descriptor: Int32) -> Int32? {
        var text = text
        return text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: descriptor) }
    }

    /// Writes all of `bytes`, retrying short and interrupted writes; returns errno on failure.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }
}

struct OutputError: Error, CustomStringConvertible {
    var errno: Int32
    var destination = "the output"
    var description: String { "cannot write \(destination) (\(String(cString: strerror(errno))))" }
}

func printError(_ message: String) {
    StandardStreams.writeError(message)
}

import Foundation

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

/// A file written in appends whose every failure (a full disk) is an error naming it.
struct OutputFile {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw OutputError(errno: errno, destination: path) }
        self.path = path
    }

    func write(_ data: Data) throws {
        if let code = data.withUnsafeBytes({ StandardStreams.writeAll($0, to: descriptor) }) {
            throw OutputError(errno: code, destination: path)
        }
    }
}

extension OutputFile {
    /// Writes `data` as the whole of the file at `path`, naming the file in any error.
    static func write(_ data: Data, toFile path: String) throws {
        let file = try OutputFile(path: path)
        defer { close(file.descriptor) }
        try file.write(data)
    }
}

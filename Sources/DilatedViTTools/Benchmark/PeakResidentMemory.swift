#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The process's resident-memory high-water mark, and how a stretch of work gets a peak of
/// its own: on Linux, writing `5` to `/proc/self/clear_refs` sets the mark (`VmHWM`) back
/// to the current resident set.
public enum PeakResidentMemory {
    /// Where a peak was measured from.
    public enum Scope: String, Sendable, Codable {
        /// Since the last `reset()`: the stretch's own peak.
        case sinceReset = "row"
        /// Since the process started (the reset was refused): an upper bound.
        case process
    }

    /// Sets the high-water mark back to the current resident set; false where the
    /// platform does not allow it (no `/proc`, or a kernel that refuses).
    @discardableResult
    public static func reset() -> Bool {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let command: [UInt8] = [UInt8(ascii: "5")]
        return command.withUnsafeBytes { write(descriptor, $0.baseAddress, 1) } == 1
    }

    /// `VmHWM` of this process in bytes, or nil where `/proc` is unavailable.
    public static func highWaterMarkBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    /// The process's lifetime peak from `getrusage` (kilobytes on Linux, bytes on Darwin).
    public static func processPeakBytes() -> Int? {
        var usage = rusage()
        #if canImport(Darwin)
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss)
        #else
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DilatedViT
import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and there is
/// more than one photo, so pipes and logs stay clean.
struct Progress {
    private let total: Int
    private let enabled: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var done = 0

    init(total: Int) {
        self.total = total
        enabled = total > 1 && isatty(STDERR_FILENO) == 1
        start = clock.now
    }

    mutating func advance() {
        done += 1
        guard enabled else { return }
        let elapsed = (clock.now - start).inSeconds
        let rate = Double(done) / max(elapsed, 1e-9)
        let remaining = Double(total - done) / max(rate, 1e-9)
        let width = 30, filled = width * done / total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r[%@] %d/%d  %.1f photos/s  ETA %@ ", bar, done, total, rate, clockText(remaining, compact: true))
        FileHandle.standardError.write(Data(line.utf8))
        if done == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// Erases the bar so a message can be printed on a clean line.
    func clearLine() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

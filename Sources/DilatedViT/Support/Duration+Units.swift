import Foundation

extension Duration {
    package var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    package var inMilliseconds: Double { inSeconds * 1000 }
}

/// `h:mm:ss` (or `m:ss` under an hour when `compact`), for ETAs and elapsed times.
package func clockText(_ seconds: Double, compact: Bool = false) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 || !compact ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                                 : String(format: "%d:%02d", s / 60, s % 60)
}

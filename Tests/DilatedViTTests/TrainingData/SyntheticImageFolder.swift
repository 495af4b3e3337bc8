import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// A labelled image folder written to a fresh temporary directory; removed on `remove()`.
/// Photo `i` of label `l` is a gradient whose base colour encodes `l` (so a test classifier
/// can recover the label from pixels) and whose pattern depends on `i`.
struct SyntheticImageFolder {
    let root: String

    /// `counts[label]` photos per label, JPEG (even-numbered) and PNG (odd-numbered).
    init(counts: [String: Int], width: Int = 40, height: Int = 32) throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("dvit-data-\(UUID().uuidString)").path
        for (l, (label, count)) in counts.sorted(by: { $0.key < $1.key }).enumerated() {
            try FileManager.default.createDirectory(atPath: root + "/" + label, withIntermediateDirectories: true)
            for i in 0..<count {
                let image = Self.image(label: l, index: i, width: width, height: height)
                let bytes = i % 2 == 0 ? try ImageEncoder.jpeg(image, quality: 95) : try ImageEncoder.png(image)
                try write(bytes, to: "\(label)/\(String(format: "%03d", i)).\(i % 2 == 0 ? "jpg" : "png")")
            }
        }
    }

    static func image(label: Int, index: Int, width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let p = (y * width + x) * 3
                pixels[p] = UInt8(40 * label + 20)
                pixels[p + 1] = UInt8((x * 255 / max(1, width - 1) + 7 * index) % 256)
                pixels[p + 2] = UInt8((y * 255 / max(1, height - 1) + 13 * index) % 256)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The label a test classifier reads back from a grid (red channel of the first pixel).
    static func label(ofGridWithDefaultNormalisation grid: PatchGrid) -> Int {
        let red = (grid.values[0] * 0.5 + 0.5) * 255
        return Int(((red - 20) / 40).rounded())
    }

    func write(_ bytes: [UInt8], to relativePath: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + relativePath))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Collects warning lines from background threads.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    var lines: [String] { lock.withLock { collected } }

    var sink: @Sendable (String) -> Void {
        { [self] line in lock.withLock { collected.append(line) } }
    }
}

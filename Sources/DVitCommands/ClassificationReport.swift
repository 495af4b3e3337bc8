import DilatedViT
import Foundation

/// The text and JSON-lines renderings of `dvit classify` results.
enum ClassificationReport {
    /// With `ranks`, a photo read sequence-parallel: the rank count and the bytes all ranks sent.
    static func text(path: String, _ result: Classification, ranks: Int? = nil, bytesExchanged: Int = 0) -> String {
        let labels = result.top.map { "\($0.label) \(String(format: "%.3f", $0.probability))" }
            .joined(separator: "  ")
        let spread = ranks.map { "; \($0) ranks, \(String(format: "%.1f", Double(bytesExchanged) / 1e6)) MB exchanged" } ?? ""
        return "\(path.escapingControlCharacters)  \(labels)  (\(sizes(result.photo)), \(format(result.decodeMilliseconds + result.modelMilliseconds)) ms\(spread))"
    }

    static func json(path: String, _ result: Classification, ranks: Int? = nil, bytesExchanged: Int = 0) -> String {
        var object = fields(path: path, result.photo,
                            milliseconds: result.decodeMilliseconds + result.modelMilliseconds)
        object["labels"] = result.top.map { ["label": $0.label, "probability": Double($0.probability)] }
        if let ranks {
            object["ranks"] = ranks
            object["bytes_exchanged"] = bytesExchanged
        }
        return encode(object)
    }

    private static func sizes(_ photo: PhotoSummary) -> String {
        let scale = photo.jpegScaleDenominator > 1 ? ", JPEG decoded at 1/\(photo.jpegScaleDenominator)" : ""
        return "\(photo.originalWidth)×\(photo.originalHeight) → \(photo.resolution.width)×\(photo.resolution.height), "
            + "\(photo.resolution.tokenCount) tokens\(scale)"
    }

    private static func fields(path: String, _ photo: PhotoSummary, milliseconds: Double) -> [String: Any] {
        ["path": path,
         "original_size": [photo.originalWidth, photo.originalHeight],
         "working_size": [photo.resolution.width, photo.resolution.height],
         "tokens": photo.resolution.tokenCount,
         "milliseconds": (milliseconds * 10).rounded() / 10]
    }

    private static func encode(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    private static func format(_ milliseconds: Double) -> String { String(format: "%.0f", milliseconds) }
}

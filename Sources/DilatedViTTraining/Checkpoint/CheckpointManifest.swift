import Foundation
import DilatedViT

/// `checkpoint.json`, the last file written into an epoch's folder: the epoch, the data it
/// was trained on, and every other file of the folder with its size and 64-bit FNV-1a
/// checksum. `--resume` recomputes them, so a file from another epoch, a truncated file or a
/// flipped byte is refused by name instead of resuming a mixture.
struct CheckpointManifest: Codable, Equatable {
    static let fileName = "checkpoint.json"
    static let currentFormat = 1

    var format = Self.currentFormat
    var epoch: Int
    var data: DataFingerprint
    var files: [Entry]

    struct Entry: Codable, Equatable {
        /// Relative to the epoch's folder, `/`-separated.
        var name: String
        var bytes: Int
        var fnv1a64: String

        init(name: String, contents: Data) {
            self.name = name
            bytes = contents.count
            fnv1a64 = fnv1a64Hex(contents)
        }
    }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try! encoder.encode(self)  // plain strings and integers always encode
    }

    static func load(from folder: String) throws(CheckpointError) -> CheckpointManifest {
        let path = (folder as NSString).appendingPathComponent(fileName)
        let manifest: CheckpointManifest
        do {
            manifest = try JSONDecoder().decode(CheckpointManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadable(path: path, reason: oneLineReason(error))
        }
        guard manifest.format == currentFormat else {
            throw .unreadable(path: path, reason: "format \(manifest.format), this dvit reads format \(currentFormat)")
        }
        return manifest
    }

    /// Checks every listed file of `folder` against its size and checksum.
    func verify(folder: String) throws(CheckpointError) {
        for entry in files {
            let path = (folder as NSString).appendingPathComponent(entry.name)
            let contents: Data
            do {
                contents = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            } catch {
                throw .damaged(path: path, reason: "is missing or unreadable (\(oneLineReason(error)))")
            }
            guard contents.count == entry.bytes else {
                throw .damaged(path: path, reason: "has \(contents.count) bytes, the manifest says \(entry.bytes)")
            }
            guard fnv1a64Hex(contents) == entry.fnv1a64 else {
                throw .damaged(path: path, reason: "does not match its checksum in \(Self.fileName) "
                               + "(changed, or copied from another epoch)")
            }
        }
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: detects accidental damage and mix-ups, stable across
/// platforms (not a defence against deliberate forgery).
func fnv1a64Hex(_ data: Data) -> String {
    String(format: "%016llx", data.withUnsafeBytes { fnv1a64($0) })
}

/// A decoding or reading error in one line (DecodingError's own description is a dump).
func oneLineReason(_ error: any Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context):
        return "not valid JSON (\(context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription))"
    case DecodingError.keyNotFound(let key, _):
        return "the key '\(key.stringValue)' is missing"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
    default:
        return (error as NSError).localizedDescription
    }
}

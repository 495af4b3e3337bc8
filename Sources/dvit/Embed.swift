import ArgumentParser
import DilatedViT
import DilatedViTTools
import DilatedViTTraining
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write each photo's pooled feature vector, for a vector database or retrieval.",
        discussion: """
            The vector is what the classifier head reads: the final LayerNorm of every token, \
            averaged over tokens (`dim` floats, see `dvit info`).

            Examples:
              dvit embed images/ > vectors.jsonl
              # vectors.f32 (rows × dim, little-endian) and vectors.tsv (row, path):
              dvit embed --matrix vectors images/
            """)

    @OptionGroup var batch: PhotoBatchOptions
    @OptionGroup var model: ModelLocation
    @OptionGroup var inference: InferenceOptions

    @Option(help: "Write PREFIX.f32 (float32 rows) and PREFIX.tsv (row index and path) instead of JSON lines.")
    var matrix: String?

    func run() throws {
        let classifier = try model.loadClassifier(reading: inference)
        let options = inference.classificationOptions()
        guard let matrix else {
            return try batch.run { path in
                let embedding = try classifier.embedding(contentsOf: path, options: options)
                let object: [String: Any] = ["path": path, "embedding": embedding.vector.map(Double.init),
                                             "tokens": embedding.photo.resolution.tokenCount]
                return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
                              as: UTF8.self)
            }
        }
        let vectors = try OutputFile(path: matrix + ".f32")
        let index = try OutputFile(path: matrix + ".tsv")
        var row = 0
        // Both files grow row by row, so an interrupted run leaves them consistent.
        try batch.run({ try classifier.embedding(contentsOf: $0, options: options).vector }) { path, vector in
            try vectors.write(vector.withUnsafeBufferPointer { Data(buffer: $0) })
            try index.write(Data("\(row)\t\(path.escapingControlCharacters)\n".utf8))
            row += 1
            return "\(row - 1)\t\(path.escapingControlCharacters)"
        }
    }
}

/// A file written in appends whose every failure (a full disk) is an error naming it.
private struct OutputFile {
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

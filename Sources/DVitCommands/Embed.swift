import ArgumentParser
import DilatedViT
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

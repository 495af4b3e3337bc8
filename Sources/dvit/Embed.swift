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
        let classifier = try model.loadClassifier()
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
        guard FileManager.default.createFile(atPath: matrix + ".f32", contents: nil),
              let vectors = FileHandle(forWritingAtPath: matrix + ".f32") else {
            throw ValidationError("cannot create \(matrix).f32")
        }
        var index = ""
        var row = 0
        defer {
            try? vectors.close()
            try? index.write(toFile: matrix + ".tsv", atomically: true, encoding: .utf8)
        }
        try batch.run({ try classifier.embedding(contentsOf: $0, options: options).vector }) { path, vector in
            vectors.write(vector.withUnsafeBufferPointer { Data(buffer: $0) })
            index += "\(row)\t\(path)\n"
            row += 1
            return "\(row - 1)\t\(path)"
        }
    }
}

import DilatedViT
import Foundation

// Usage: LabelFolder WEIGHTS_DIR PHOTO_DIR
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: LabelFolder WEIGHTS_DIR PHOTO_DIR\n".utf8))
    exit(2)
}
let classifier = try SceneClassifier(contentsOf: URL(fileURLWithPath: arguments[1]))

// The photos under the folder (the same walk as `dvit classify`), and what it skipped.
let (photos, skipped) = PhotoFiles.photos(at: arguments[2])
for entry in skipped { FileHandle.standardError.write(Data("skipped \(entry)\n".utf8)) }

// One model, many photos at once, results in input order: SceneClassifier is immutable and Sendable.
let results = await classifier.classify(contentsOf: photos)

var failed = !skipped.isEmpty
for (path, result) in zip(photos, results) {
    switch result {
    case .success(let result):
        let best = result.top[0]
        print("\(path)\t\(best.label)\t\(String(format: "%.3f", best.probability))\t\(result.photo.resolution.tokenCount) tokens")
    case .failure(let error):
        failed = true
        FileHandle.standardError.write(Data("\(error)\n".utf8))
    }
}
exit(failed ? 1 : 0)

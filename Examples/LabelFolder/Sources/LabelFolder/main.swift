import DilatedViT
import Foundation

// Usage: LabelFolder WEIGHTS_DIR PHOTO_DIR
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: LabelFolder WEIGHTS_DIR PHOTO_DIR\n".utf8))
    exit(2)
}
let classifier = try SceneClassifier(contentsOf: URL(fileURLWithPath: arguments[1]))
let folder = arguments[2]
let photos = try FileManager.default.contentsOfDirectory(atPath: folder)
    .filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }
    .sorted()
    .map { (folder as NSString).appendingPathComponent($0) }

// One model, many tasks: SceneClassifier is immutable and Sendable.
let results = await withTaskGroup(of: (String, Result<Classification, any Error>).self) { group in
    for path in photos {
        group.addTask {
            (path, Result { try classifier.classify(contentsOf: path) })
        }
    }
    var results = [String: Result<Classification, any Error>]()
    for await (path, result) in group { results[path] = result }
    return results
}

var failed = false
for path in photos {
    switch results[path]! {
    case .success(let result):
        let best = result.top[0]
        print("\(path)\t\(best.label)\t\(String(format: "%.3f", best.probability))\t\(result.photo.resolution.tokenCount) tokens")
    case .failure(let error):
        failed = true
        FileHandle.standardError.write(Data("\(error)\n".utf8))
    }
}
exit(failed ? 1 : 0)

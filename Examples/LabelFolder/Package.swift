// swift-tools-version: 6.1
// An example of embedding DilatedViT in your own program: labels every photo of a folder
// concurrently with one shared model. Build and run from this folder:
//   swift run LabelFolder ../../weights ../../images
import Foundation
import PackageDescription

// A path dependency is identified by its folder name, which is whatever the repository was
// cloned as; in your own project write `package: "DilatedViT"` (or your folder's name).
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "LabelFolder",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "LabelFolder",
            dependencies: [.product(name: "DilatedViT", package: repository.lastPathComponent)]),
    ]
)

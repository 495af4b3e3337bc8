import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct MirroredViewTests {
    private let classifier = fixtureClassifier

    /// 9×5 patches of 4 pixels, read at its own size so that nothing is resampled.
    private let photo: RGBImage = {
        var generator = SplitMix64(seed: 41)
        let pixels = (0..<(36 * 20 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        return RGBImage(width: 36, height: 20, pixels: pixels)
    }()

    @Test func averagesThePhotoAndItsMirrorImage() {
        let plain = ClassificationOptions(topK: 3, maxTokens: 0)
        var mirrored = plain
        mirrored.averagesMirroredView = true
        let facingLeft = byLabel(classifier.classify(photo, options: plain))
        let facingRight = byLabel(classifier.classify(photo.flippedHorizontally(), options: plain))
        let averaged = byLabel(classifier.classify(photo, options: mirrored))
        for label in classifier.config.labels {
            #expect(abs(averaged[label]! - (facingLeft[label]! + facingRight[label]!) / 2) < 1e-6)
        }
        // A random photo is not symmetric: the views differ, so the check above means something.
        #expect(classifier.config.labels.contains { abs(facingLeft[$0]! - facingRight[$0]!) > 1e-4 })
    }

    @Test func averagesTheEmbeddingsToo() throws {
        var options = ClassificationOptions(maxTokens: 0)
        options.averagesMirroredView = true
        let loader = classifier.photoLoader(maxTokens: 0)
        let expected = zip(classifier.model.features(for: loader.load(photo).grid),
                           classifier.model.features(for: loader.load(photo.flippedHorizontally()).grid))
            .map { ($0 + $1) / 2 }
        #expect(maxAbsDifference(try embedding(options), expected) < 1e-6)
    }

    /// `embedding` reads files only: the photo goes through a lossless PNG.
    private func embedding(_ options: ClassificationOptions) throws -> [Float] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(try ImageEncoder.png(photo)).write(to: url)
        return try classifier.embedding(contentsOf: url.path, options: options).vector
    }

    private func byLabel(_ classification: Classification) -> [String: Float] {
        Dictionary(uniqueKeysWithValues: classification.top.map { ($0.label, $0.probability) })
    }
}

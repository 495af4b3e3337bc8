import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// One `SceneClassifier` shared by many tasks must give each photo exactly what a lone,
/// sequential call gives: the model is immutable and every call owns its activations.
/// Under ThreadSanitizer (scripts/sanitize) this is also the data-race test.
@Suite struct ConcurrentClassificationTests {
    static let classifier = fixtureClassifier

    /// Eight distinct JPEGs: different sizes (so different grids and DCT scales) and content.
    static let photos: [[UInt8]] = (0..<8).map { index in
        let width = 40 + 23 * index, height = 30 + 17 * (7 - index)
        var image = Fixtures.smoothImage(width: width, height: height)
        for i in stride(from: index, to: image.pixels.count, by: 7 + index) { image.pixels[i] &+= UInt8(31 * index) }
        return Fixtures.jpeg(image, .init(quality: 85))
    }

    @Test func sharedClassifierMatchesSequentialCallsBitForBit() async throws {
        let options = ClassificationOptions(topK: 3, maxTokens: 96)
        let sequential = try Self.photos.map { try Self.classifier.classify($0, options: options).top }
        let classifier = Self.classifier
        // Three rounds of 8 concurrent tasks, so calls overlap in different phases.
        for _ in 0..<3 {
            let concurrent = try await withThrowingTaskGroup(of: (Int, [LabelProbability]).self) { group in
                for (index, photo) in Self.photos.enumerated() {
                    group.addTask { (index, try classifier.classify(photo, options: options).top) }
                }
                var results = [[LabelProbability]](repeating: [], count: Self.photos.count)
                for try await (index, top) in group { results[index] = top }
                return results
            }
            for (index, (alone, shared)) in zip(sequential, concurrent).enumerated() {
                #expect(alone.map(\.label) == shared.map(\.label), "photo \(index)")
                #expect(alone.map(\.probability.bitPattern) == shared.map(\.probability.bitPattern), "photo \(index)")
            }
        }
        // The photos really differ, or the comparison above would prove little.
        #expect(Set(sequential.map { $0.map(\.probability.bitPattern) }).count == Self.photos.count)
    }
}

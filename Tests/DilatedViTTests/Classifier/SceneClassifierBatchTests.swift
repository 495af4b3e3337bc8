import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct SceneClassifierBatchTests {
    private let classifier = fixtureClassifier
    private let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("images").path

    @Test func batchesMatchSingleCallsInOrderWithFailuresInTheirSlots() async throws {
        let paths = ["\(images)/sea-pier-small.png", "\(images)/no-such-photo.jpg", "\(images)/lake-boats.jpg"]
        let results = await classifier.classify(contentsOf: paths, maxConcurrency: 2)
        #expect(results.count == 3)
        for index in [0, 2] {
            let single = try synchronous(paths[index])
            #expect(try results[index].get().top == single.top)
        }
        guard case .failure(let error) = results[1] else { Issue.record("a missing file succeeded"); return }
        #expect(error.file == paths[1])
    }

    @Test func asyncAndDataVariantsAgreeWithTheSynchronousCall() async throws {
        let path = "\(images)/sea-pier-small.png"
        let expected = try synchronous(path)
        let asynchronous = try await classifier.classify(contentsOf: path)
        let fromData = try classifier.classify(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(asynchronous.top == expected.top && fromData.top == expected.top)
    }

    /// In an async context the async overload wins; a synchronous function picks the other.
    private func synchronous(_ path: String) throws -> Classification {
        try classifier.classify(contentsOf: path)
    }
}

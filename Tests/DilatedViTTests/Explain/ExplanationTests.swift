import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ExplanationTests {
    static let fixture = ReferenceFixtureTests.root.appendingPathComponent("grid7x13")

    @Test(arguments: [AttentionMode.dilated, .dense])
    func tokenLogitsAverageToTheModelsLogits(_ attention: AttentionMode) throws {
        let fixture = try ReferenceFixtureTests.Fixture("grid7x13")
        let model = fixture.model, grid = fixture.grid
        let perToken = model.tokenLogits(for: grid, attention: attention)
        let classes = model.config.classCount
        #expect(perToken.count == grid.tokenCount * classes)
        let mean = (0..<classes).map { c in
            (0..<grid.tokenCount).reduce(0.0) { $0 + Double(perToken[$1 * classes + c]) } / Double(grid.tokenCount)
        }
        #expect(maxAbsDifference(model.logits(for: grid, attention: attention), mean) < 1e-5)
    }

    @Test func tokenLogitsStayExactAcrossTokenBlocks() throws {
        // A block length that splits the 91 tokens unevenly must give the same rows.
        let fixture = try ReferenceFixtureTests.Fixture("grid7x13")
        let blocked = DilatedViTModel(config: fixture.model.config, weights: fixture.model.weights, tokenBlockLength: 10)
        #expect(maxAbsDifference(blocked.tokenLogits(for: fixture.grid), fixture.model.tokenLogits(for: fixture.grid)) < 1e-5)
    }

    @Test func explanationAgreesWithClassification() throws {
        let classifier = try SceneClassifier(contentsOf: Self.fixture)
        let photo = try ImageDecoder.decode(contentsOf: DVitProcess.repositoryRoot.appendingPathComponent("images/sea-pier-small.png"))
        let explanation = classifier.explain(photo, options: .init(maxTokens: 200))
        let classification = classifier.classify(photo, options: .init(topK: 3, maxTokens: 200))
        #expect(explanation.predictedLabel == classification.top[0].label)
        #expect(abs(explanation.probabilities[explanation.predictedIndex] - classification.top[0].probability) < 1e-5)
        #expect(explanation.photo == classification.photo)
        #expect(explanation.rows * explanation.columns == explanation.photo.resolution.tokenCount)

        let relevance = try #require(explanation.relevance(for: "forest"))
        let index = explanation.labels.firstIndex(of: "forest")!
        #expect(abs(relevance.values.reduce(0, +) / Float(relevance.values.count) - explanation.logits[index]) < 1e-5)
        #expect(explanation.relevance(for: "no-such-label") == nil)

        let normalised = relevance.normalised
        #expect(normalised.values.min() == 0 && normalised.values.max() == 1)
        let strongest = relevance.strongest
        #expect(normalised[strongest.row, strongest.column] == 1)
    }

    @Test func renderingKeepsTheAspectAndDisplaySize() throws {
        let classifier = try SceneClassifier(contentsOf: Self.fixture)
        let photo = RGBImage(width: 300, height: 120, filledWith: (90, 140, 60))
        let explanation = classifier.explain(photo, options: .init(maxTokens: 64))
        let image = explanation.rendered(over: photo)
        #expect(image.width == 512 && image.height == 205)
        #expect(Explanation.displaySize(width: 4000, height: 3000, longSide: 512...1024) == (1024, 768))
        #expect(Explanation.displaySize(width: 700, height: 800, longSide: 512...1024) == (700, 800))
    }
}

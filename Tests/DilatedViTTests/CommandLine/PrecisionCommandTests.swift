import Foundation
import Testing

/// A small reference model, so these tests neither depend on nor wait for the shipped one.
private let fixtureWeights = "Tests/DilatedViTTests/Fixtures/reference/grid7x13"

@Suite struct PrecisionCommandTests {
    @Test func benchPrecisionComparesBothModelsOnEachPhoto() throws {
        let result = try DVitProcess.run(["bench", "precision", "--weights", fixtureWeights,
                                          "images/sea-pier-small.png", "images/lake-boats.jpg"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.contains("photos            2"), "\(result.standardOutput)")
        let largest = result.outputLines.first { $0.hasPrefix("max |Δlogit|") }?
            .split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first.flatMap { Double($0) }
        #expect(largest.map { $0 > 0 && $0 < 0.05 } == true, "\(result.standardOutput)")
    }

    @Test func classifyTakesAPrecision() throws {
        let result = try DVitProcess.run(["classify", "--weights", fixtureWeights, "--precision", "bf16",
                                          "-k", "1", "images/sea-pier-small.png"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.count == 1)
        #expect(try DVitProcess.run(["classify", "--weights", fixtureWeights, "--precision", "fp16", "images/"]).status == 2)
    }
}

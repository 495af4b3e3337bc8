import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct PositionProbeTests {
    /// A photo whose every pixel is distinct, so a misplaced copy cannot pass.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8]()
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x * 7 % 256), UInt8(y * 11 % 256), UInt8((x + y) % 256)] }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test func compositePastesThePhotoPixelExactlyAndNothingElse() {
        let canvas = PositionProbe(canvas: .noise(seed: 3), canvasSize: 32, photoSize: 8).background()
        let photo = Self.gradient(width: 7, height: 5)
        let result = PositionProbe.composite(photo, onto: canvas, x: 20, y: 9)
        for y in 0..<32 {
            for x in 0..<32 {
                let inside = (20..<27).contains(x) && (9..<14).contains(y)
                #expect(result[x, y] == (inside ? photo[x - 20, y - 9] : canvas[x, y]), "pixel (\(x), \(y))")
            }
        }
        // The far corner is reachable.
        #expect(PositionProbe.composite(photo, onto: canvas, x: 25, y: 27)[31, 31] == photo[6, 4])
    }

    @Test func placementsSpanTheCanvasCornerToCorner() {
        let probe = PositionProbe(canvasSize: 100, photoSize: 20, gridSize: 3)
        let spots = probe.placements(width: 20, height: 10)
        #expect(spots.count == 9)
        #expect(spots.map { [$0.row, $0.column] } == (0..<3).flatMap { r in (0..<3).map { [r, $0] } })
        #expect(spots.first == .init(row: 0, column: 0, x: 0, y: 0))
        #expect(spots[4] == .init(row: 1, column: 1, x: 40, y: 45))
        #expect(spots.last == .init(row: 2, column: 2, x: 80, y: 90))
        #expect(PositionProbe(canvasSize: 100, photoSize: 20, gridSize: 1).placements(width: 20, height: 10)
            == [.init(row: 0, column: 0, x: 40, y: 45)])
    }

    @Test func canvasesAreDeterministic() {
        let grey = PositionProbe(canvas: .grey, canvasSize: 16, photoSize: 8).background()
        #expect(grey.pixels.allSatisfy { $0 == 128 })
        let a = PositionProbe(canvas: .noise(seed: 1), canvasSize: 16, photoSize: 8).background()
        #expect(a == PositionProbe(canvas: .noise(seed: 1), canvasSize: 16, photoSize: 8).background())
        #expect(a != PositionProbe(canvas: .noise(seed: 2), canvasSize: 16, photoSize: 8).background())
        #expect(Set(a.pixels).count > 100)
    }

    @Test func fittedPhotosKeepTheirAspect() {
        let probe = PositionProbe(canvasSize: 64, photoSize: 24)
        let fitted = probe.fitted(Self.gradient(width: 60, height: 30))
        #expect(fitted.width == 24 && fitted.height == 12)
    }

    @Test func runCoversEveryPositionWithProbabilities() throws {
        let classifier = try SceneClassifier(contentsOf: ExplanationTests.fixture)
        let probe = PositionProbe(canvas: .noise(seed: 5), canvasSize: 32, photoSize: 12, gridSize: 3)
        let samples = [PositionProbe.Sample(image: Self.gradient(width: 40, height: 30), label: "forest"),
                       PositionProbe.Sample(image: RGBImage(width: 30, height: 30, filledWith: (40, 90, 30)), label: "glacier")]
        var calls = [Int]()
        let result = probe.run(classifier, samples: samples) { done, total in
            #expect(total == 18)
            calls.append(done)
        }
        #expect(calls == Array(1...18))
        #expect(result.gridSize == 3 && result.sampleCount == 2)
        #expect(result.tokenRows == 8 && result.tokenColumns == 8)  // native: 32 px / patch 4
        #expect(result.meanProbability.count == 9 && result.accuracy.count == 9)
        #expect(result.meanProbability.allSatisfy { (0...1).contains($0) })
        #expect(result.accuracy.allSatisfy { [0, 0.5, 1].contains($0) })
        #expect(probe.run(classifier, samples: samples) == result)
        #expect(result.probabilityMap.values == result.meanProbability)
        // Read alone: the fitted photos classified by themselves, without the canvas.
        let alone = samples.filter { sample in
            let p = classifier.model.probabilities(for: classifier.photoLoader(maxTokens: 0).load(probe.fitted(sample.image)).grid)
            return classifier.config.labels[p.indices.max { p[$0] < p[$1] }!] == sample.label
        }
        #expect(result.aloneAccuracy == Float(alone.count) / 2)
    }

    @Test func borderAndInteriorAverageTheRingAndTheRest() {
        let result = PositionProbeResult(gridSize: 3, sampleCount: 1, tokenRows: 1, tokenColumns: 1,
                                         meanProbability: [1, 1, 1, 1, 0.2, 1, 1, 1, 0.6], accuracy: Array(repeating: 1, count: 9),
                                         aloneAccuracy: 1)
        let split = result.borderAndInterior(result.meanProbability)!
        #expect(abs(split.border - 0.95) < 1e-6 && abs(split.interior - 0.2) < 1e-6)
        let small = PositionProbeResult(gridSize: 2, sampleCount: 1, tokenRows: 1, tokenColumns: 1,
                                        meanProbability: [1, 1, 1, 1], accuracy: [1, 1, 1, 1], aloneAccuracy: 1)
        #expect(small.borderAndInterior(small.meanProbability) == nil)
    }
}

import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ResamplerTests {
    private func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var state = seed
        let pixels = (0..<width * height * 3).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test func integerFactorDownscaleIsTheBlockMean() {
        let image = randomImage(width: 12, height: 9, seed: 1)
        let out = Resampler.resize(image, width: 4, height: 3)
        for y in 0..<3 { for x in 0..<4 { for c in 0..<3 {
            var sum = 0
            for dy in 0..<3 { for dx in 0..<3 { sum += Int(image.pixels[((y * 3 + dy) * 12 + x * 3 + dx) * 3 + c]) } }
            let expected = (Double(sum) / 9).rounded()
            #expect(Double(out.pixels[(y * 4 + x) * 3 + c]) == expected)
        } } }
    }

    @Test func fractionalAreaAverageWeighsCoverage() {
        // 3 → 2 pixels: output 0 covers source 0 fully and half of 1; output 1 the rest.
        let image = RGBImage(width: 3, height: 1, pixels: [0, 0, 0, 90, 90, 90, 255, 255, 255])
        let out = Resampler.resize(image, width: 2, height: 1)
        #expect(out.pixels[0] == UInt8((Double(0 + 45) / 1.5).rounded()))
        #expect(out.pixels[3] == UInt8((Double(45 + 255) / 1.5).rounded()))
    }

    @Test(arguments: [(7, 5, 3, 2), (5, 3, 11, 7), (1, 100, 1, 8), (100, 1, 8, 1), (640, 480, 256, 192)])
    func constantImagesStayConstant(sizes: (Int, Int, Int, Int)) {
        let image = RGBImage(width: sizes.0, height: sizes.1, filledWith: (10, 128, 250))
        let out = Resampler.resize(image, width: sizes.2, height: sizes.3)
        #expect(out.width == sizes.2 && out.height == sizes.3)
        #expect(out == RGBImage(width: sizes.2, height: sizes.3, filledWith: (10, 128, 250)))
    }

    @Test func downscalingKeepsTheMeanIntensity() {
        let image = randomImage(width: 301, height: 217, seed: 7)
        let out = Resampler.resize(image, width: 64, height: 48)
        func mean(_ i: RGBImage) -> Double { Double(i.pixels.reduce(0) { $0 + Int($1) }) / Double(i.pixels.count) }
        #expect(abs(mean(image) - mean(out)) < 0.5)
    }

    @Test func upscalingInterpolatesBetweenCentres() {
        let image = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 200, 200, 200])
        let out = Resampler.resize(image, width: 4, height: 1)
        // Target centres map to source x = -0.25, 0.25, 0.75, 1.25 → clamped / interpolated.
        #expect(out.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) == [0, 50, 150, 200])
    }
}

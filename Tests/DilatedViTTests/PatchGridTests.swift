import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct PatchGridTests {
    @Test func tokensAreRowMajorAndFeaturesFollowConvWeightLayout() {
        // 4×2 image, patch 2 → grid 1 row × 2 columns.
        var pixels = [UInt8]()
        for y in 0..<2 { for x in 0..<4 { for c in 0..<3 { pixels.append(UInt8(100 * c + 10 * y + x)) } } }
        let image = RGBImage(width: 4, height: 2, pixels: pixels)
        let grid = PatchGrid(image: image, patchSize: 2, mean: [0, 0, 0], std: [1, 1, 1])
        #expect(grid.rows == 1 && grid.columns == 2 && grid.featuresPerToken == 12)
        for t in 0..<2 {
            for c in 0..<3 { for py in 0..<2 { for px in 0..<2 {
                let expected = Float(100 * c + 10 * py + (t * 2 + px)) / 255
                let got = grid.values[t * 12 + c * 4 + py * 2 + px]
                #expect(abs(got - expected) < 1e-6)
            } } }
        }
    }

    @Test func normalisationUsesPerChannelMeanAndStd() {
        let image = RGBImage(width: 1, height: 1, filledWith: (255, 0, 51))
        let grid = PatchGrid(image: image, patchSize: 1, mean: [0.5, 0.25, 0.2], std: [0.5, 0.25, 0.1])
        #expect(abs(grid.values[0] - 1) < 1e-6)
        #expect(abs(grid.values[1] - (-1)) < 1e-6)
        #expect(abs(grid.values[2] - 0) < 1e-6)
    }

    @Test func aMirroredGridIsTheGridOfTheFlippedPhoto() {
        // 3 patches of 4 across, 2 down, every pixel value distinct per channel.
        var pixels = [UInt8]()
        for y in 0..<8 { for x in 0..<12 { for c in 0..<3 { pixels.append(UInt8((7 * x + 13 * y + 61 * c) % 256)) } } }
        let image = RGBImage(width: 12, height: 8, pixels: pixels)
        let grid = PatchGrid(image: image, patchSize: 4)
        #expect(grid.mirrored() == PatchGrid(image: image.flippedHorizontally(), patchSize: 4))
        #expect(grid.mirrored() != grid)
        #expect(grid.mirrored().mirrored() == grid)
    }

    @Test func aGridGivesBackThePhotoItWasCutFrom() {
        let image = RGBImage(width: 12, height: 8, pixels: (0..<288).map { UInt8(($0 * 37 + 11) % 256) })
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let grid = PatchGrid(image: image, patchSize: 4, mean: mean, std: std)
        #expect(grid.image(mean: mean, std: std) == image)
    }

    @Test func aResampledGridIsTheResizedPhotoCutAgain() {
        let image = RGBImage(width: 32, height: 16, pixels: (0..<1536).map { UInt8(($0 * 13 + 5) % 256) })
        let grid = PatchGrid(image: image, patchSize: 4)
        // 8×4 patches read at ≤ 8 tokens keep the 2:1 aspect: 4×2 patches of the photo halved.
        let down = grid.resampled(maxTokens: 8, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        #expect(down == PatchGrid(image: Resampler.resize(image, width: 16, height: 8), patchSize: 4))
        let up = grid.resampled(maxTokens: 128, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        #expect(up == PatchGrid(image: Resampler.resize(image, width: 64, height: 32), patchSize: 4))
        #expect(grid.resampled(maxTokens: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]) == grid)
    }
}

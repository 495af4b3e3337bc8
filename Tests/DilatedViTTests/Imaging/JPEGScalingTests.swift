import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// DCT-scaled decoding (libjpeg's scale_num/scale_denom) against a full decode followed
/// by a box average, on a smooth 203×151 q100 4:4:4 image. Measured max error per
/// sample: 1/2 → 2, 1/4 → 4, 1/8 → 4 (the scaled IDCT keeps only low frequencies, which
/// is close to but not exactly a box filter); tolerances are those plus one.
@Suite struct JPEGScalingTests {
    /// Mean of each n×n block of `image`, edge blocks over the pixels that exist.
    static func boxDownscale(_ image: RGBImage, by n: Int) -> RGBImage {
        let ow = (image.width + n - 1) / n, oh = (image.height + n - 1) / n
        var pixels = [UInt8]()
        for oy in 0..<oh {
            for ox in 0..<ow {
                for c in 0..<3 {
                    var sum = 0, count = 0
                    for y in oy * n..<min(oy * n + n, image.height) {
                        for x in ox * n..<min(ox * n + n, image.width) {
                            sum += Int(image.pixels[(y * image.width + x) * 3 + c])
                            count += 1
                        }
                    }
                    pixels.append(UInt8((sum + count / 2) / count))
                }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: pixels)
    }

    @Test(arguments: [(2, 3), (4, 5), (8, 5)])
    func scaledDecodeMatchesBoxAverage(denominator: Int, tolerance: Int) throws {
        let jpeg = Fixtures.jpeg(Fixtures.smoothImage(width: 203, height: 151))
        let full = try ImageDecoder.decode(jpeg)
        let scaled = try ImageDecoder.decode(jpeg, options: .init(jpegScaleDenominator: denominator))
        let reference = Self.boxDownscale(full, by: denominator)
        #expect(scaled.width == reference.width && scaled.height == reference.height)
        let error = maxDifference(scaled.pixels, reference.pixels)
        #expect(error <= tolerance, "1/\(denominator): max error \(error)")
    }

    @Test(arguments: [(1, 1), (2, 1), (7, 3), (8, 8), (9, 17), (203, 151)], [1, 2, 4, 8])
    func scaledSizeIsCeilingDivision(size: (Int, Int), denominator: Int) throws {
        let jpeg = Fixtures.jpeg(Fixtures.smoothImage(width: size.0, height: size.1),
                                 .init(quality: 90, subsample: true))
        let image = try ImageDecoder.decode(jpeg, options: .init(jpegScaleDenominator: denominator))
        #expect(image.width == (size.0 + denominator - 1) / denominator)
        #expect(image.height == (size.1 + denominator - 1) / denominator)
    }

    @Test func pngIgnoresTheScale() throws {
        let png = try ImageEncoder.png(Fixtures.smoothImage(width: 10, height: 6))
        let image = try ImageDecoder.decode(png, options: .init(jpegScaleDenominator: 8))
        #expect(image == Fixtures.smoothImage(width: 10, height: 6))
    }

    @Test func scaledDecodeOfOrientedJPEGSwapsScaledSize() throws {
        let jpeg = Fixtures.jpeg(Fixtures.smoothImage(width: 50, height: 20),
                                 .init(app1: Fixtures.exifSegment(orientation: 8)))
        let image = try ImageDecoder.decode(jpeg, options: .init(jpegScaleDenominator: 4))
        #expect(image.width == 5 && image.height == 13)
    }
}

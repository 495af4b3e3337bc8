import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// `StreamingResampler` fed stored rows must give exactly `Resampler.resize` of the oriented
/// image: same bytes, not merely close.
@Suite struct StreamingResamplerTests {
    static func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var generator = SeededGenerator(state: seed)
        return RGBImage(width: width, height: height,
                        pixels: (0..<width * height * 3).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func streamed(_ image: RGBImage, _ orientation: ExifOrientation, width: Int, height: Int) -> StreamingResampler {
        let resampler = StreamingResampler(storedWidth: image.width, storedHeight: image.height,
                                           orientation: orientation, width: width, height: height)
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<image.height { resampler.consume(pixels.baseAddress! + y * image.width * 3) }
        }
        return resampler
    }

    // Stored size, then displayed targets: shrinking by fractional and whole factors,
    // to one pixel, unchanged, and growing along one axis (bilinear) while shrinking the other.
    static let sizes: [(Int, Int, [(Int, Int)])] = [
        (97, 61, [(13, 7), (7, 13), (1, 1), (32, 20), (48, 30)]),
        (61, 97, [(13, 7), (60, 96), (96, 60), (61, 97), (97, 61)]),
        (40, 30, [(10, 10), (5, 6), (80, 9), (9, 80), (40, 30), (30, 40)]),
        (1, 50, [(1, 7), (7, 1), (3, 3)]),
        (3, 2, [(1, 1), (2, 2), (5, 4)]),
    ]

    @Test(arguments: ExifOrientation.allCases)
    func matchesOrientThenResize(_ orientation: ExifOrientation) {
        for (index, (storedWidth, storedHeight, targets)) in Self.sizes.enumerated() {
            let image = Self.randomImage(width: storedWidth, height: storedHeight, seed: UInt64(index + 1))
            let oriented = image.applying(orientation)
            for (width, height) in targets {
                let expected = Resampler.resize(oriented, width: width, height: height)
                let actual = Self.streamed(image, orientation, width: width, height: height).result()
                #expect(actual == expected, "\(storedWidth)×\(storedHeight) \(orientation) → \(width)×\(height)")
            }
        }
    }

    /// Smooth content makes the sums land near .5 more often than noise does.
    @Test(arguments: ExifOrientation.allCases)
    func matchesOnSmoothImages(_ orientation: ExifOrientation) {
        let image = Fixtures.smoothImage(width: 403, height: 251)
        let oriented = image.applying(orientation)
        for (width, height) in [(37, 23), (23, 37), (128, 80), (80, 128), (200, 125)] {
            let expected = Resampler.resize(oriented, width: width, height: height)
            #expect(Self.streamed(image, orientation, width: width, height: height).result() == expected,
                    "\(orientation) → \(width)×\(height)")
        }
    }

    /// What streaming holds is a few target rows, or for rotations the stored rows one output
    /// column averages (held twice), never the image.
    @Test func holdsAFewLinesNotTheImage() {
        let image = Self.randomImage(width: 640, height: 480, seed: 9)
        let upright = Self.streamed(image, .up, width: 32, height: 24)
        // One resampled row is 32 × 3 floats; an output row averages 20 stored rows.
        #expect(upright.bufferedBytes <= 21 * 32 * 3 * 4)
        let rotated = Self.streamed(image, .right, width: 24, height: 32)
        // Displayed width 480 → 24: 20 stored rows per output column, held twice, plus a column of floats.
        #expect(rotated.bufferedBytes <= 2 * 21 * 640 * 3 + 640 * 3 * 4)
        #expect(rotated.result() == Resampler.resize(image.applying(.right), width: 24, height: 32))
    }
}

import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct PhotoLoaderTests {
    @Test func largeJPEGIsDecodedScaledAndMatchesAFullDecodeThenResize() throws {
        let source = Fixtures.smoothImage(width: 1601, height: 1203)
        let bytes = Fixtures.jpeg(source, Fixtures.JPEGOptions(quality: 95))
        let loader = PhotoLoader(patchSize: 8, maxTokens: 256)
        let photo = try loader.load(bytes)

        #expect(photo.originalWidth == 1601 && photo.originalHeight == 1203)
        #expect(photo.resolution.tokenCount <= 256 && photo.resolution.tokenCount >= 240)
        // 1/8 would leave 201 pixels, less than twice the ~148-pixel working width.
        #expect(photo.jpegScaleDenominator == 4)
        #expect(photo.decodedWidth == 401 && photo.decodedHeight == 301)  // ⌈1601/4⌉ × ⌈1203/4⌉
        #expect(photo.decodedWidth >= 2 * photo.resolution.width && photo.decodedHeight >= 2 * photo.resolution.height)

        // The same grid through a full-size decode: equal within DCT-scaling tolerance.
        let full = try ImageDecoder.decode(bytes)
        let reference = PatchGrid(image: Resampler.resize(full, width: photo.resolution.width,
                                                          height: photo.resolution.height),
                                  patchSize: 8)
        // In 8-bit levels (the grid holds (v/255 − 0.5)/0.5). Measured: mean 0.64, worst 5.
        // The scaled path averages whole blocks before the fractional area weights, so on this
        // test's steep wave (≈5 levels per pixel) single samples differ more than the mean.
        let levels = zip(photo.grid.values, reference.values).map { abs($0 - $1) * 255 / 2 }
        let mean = levels.reduce(0, +) / Float(levels.count)
        #expect(mean <= 1 && levels.max()! <= 6, "scaled vs full decode: mean \(mean), worst \(levels.max()!) levels")
    }

    @Test func rotatedJPEGChoosesTheScaleOnStoredSides() throws {
        // Stored 800×200, EXIF 6 (rotate 90°): shown 200×800.
        let source = Fixtures.smoothImage(width: 800, height: 200)
        var options = Fixtures.JPEGOptions()
        options.app1 = Fixtures.exifSegment(orientation: 6)
        let photo = try PhotoLoader(patchSize: 8, maxTokens: 64).load(Fixtures.jpeg(source, options))
        #expect(photo.originalWidth == 200 && photo.originalHeight == 800)
        #expect(photo.resolution.columns == 4 && photo.resolution.rows == 16)
        // Shown 32×128 px is stored 128×32; twice that is 256×64: 800/4 = 200 falls short,
        // 800/2 = 400 and 200/2 = 100 do not.
        #expect(photo.jpegScaleDenominator == 2)
        #expect(photo.decodedWidth == 200 / 2 && photo.decodedHeight == 800 / 2)
    }

    @Test func nativeBudgetDecodesFullSize() throws {
        let bytes = Fixtures.jpeg(Fixtures.smoothImage(width: 150, height: 150))
        let photo = try PhotoLoader(patchSize: 8, maxTokens: 0).load(bytes)
        #expect(photo.jpegScaleDenominator == 1 && photo.resolution.width == 144 && photo.grid.tokenCount == 324)
    }

    @Test func pixelBuffersSkipDecoding() {
        let image = RGBImage(width: 64, height: 32, filledWith: (255, 255, 255))
        let photo = PhotoLoader(patchSize: 16, maxTokens: 0).load(image)
        #expect(photo.grid.rows == 2 && photo.grid.columns == 4)
        #expect(photo.grid.values.allSatisfy { abs($0 - 1) < 1e-6 })
    }

    @Test func fileErrorsNameTheFile() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cut.jpg").path
        let bytes = Fixtures.jpeg(Fixtures.smoothImage(width: 64, height: 64))
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: path))
        do {
            _ = try PhotoLoader(patchSize: 8, maxTokens: 64).load(contentsOf: path)
            Issue.record("a truncated JPEG loaded")
        } catch {
            #expect(error.file == path)
            #expect(String(describing: error).contains("cut.jpg"))
            guard case .truncated = error.problem else { Issue.record("expected truncated, got \(error)"); return }
        }
    }

    @Test func hugeHeadersAreRefusedBeforeDecoding() {
        var loader = PhotoLoader(patchSize: 8, maxTokens: 64)
        loader.decodeOptions.maxPixels = 100 * 100
        let bytes = Fixtures.jpeg(Fixtures.smoothImage(width: 101, height: 100))
        #expect(throws: ImageDecodingError(.tooManyPixels(width: 101, height: 100, limit: 10_000))) {
            try loader.load(bytes)
        }
    }

    // MARK: PNG, shrunk as it decodes

    /// A 1-bit PNG with structure on every row (checks of 7×5 with a drifting phase).
    static func bilevelPNG(width: Int, height: Int, orientation: ExifOrientation = .up) -> [UInt8] {
        let samples = (0..<width * height).map { i in UInt8((i % width / 7 + i / width / 5 + i / width / 13) % 2) }
        var options = Fixtures.PNGOptions(colorType: 0, bitDepth: 1)
        if orientation != .up { options.exif = Fixtures.tiff(orientation: UInt16(orientation.rawValue), bigEndian: true) }
        return Fixtures.png(width: width, height: height, samples: samples, options)
    }

    @Test(arguments: [ExifOrientation.up, .right, .down, .leftMirrored])
    func largePNGStreamsToTheSameGridAsAFullDecode(_ orientation: ExifOrientation) throws {
        let png = Self.bilevelPNG(width: 1201, height: 803, orientation: orientation)
        let loader = PhotoLoader(patchSize: 8, maxTokens: 256)
        let header = try ImageDecoder.header(of: png)
        let resolution = loader.workingResolution(width: header.width, height: header.height)
        #expect(PhotoLoader.streamsPNG(header: header, resolution: resolution))
        let photo = try loader.load(png)
        #expect(photo.resolution == resolution && photo.resolution.tokenCount <= 256)
        #expect(photo.originalWidth == header.width && photo.originalHeight == header.height)
        // Reported as the full decode reports it: the whole photo, displayed sides.
        #expect(photo.decodedWidth == header.width && photo.decodedHeight == header.height)
        #expect(photo.jpegScaleDenominator == 1)

        let full = try ImageDecoder.decode(png)
        #expect(full.width == header.width)
        let reference = PatchGrid(image: Resampler.resize(full, width: resolution.width, height: resolution.height),
                                  patchSize: 8)
        #expect(photo.grid.values == reference.values)
    }

    @Test func pngAtNativeResolutionIsNotStreamed() throws {
        // 64×48 at native budget: the working resolution is the whole photo.
        let png = Self.bilevelPNG(width: 64, height: 48)
        let header = try ImageDecoder.header(of: png)
        let loader = PhotoLoader(patchSize: 8, maxTokens: 0)
        #expect(!PhotoLoader.streamsPNG(header: header, resolution: loader.workingResolution(width: 64, height: 48)))
        let photo = try loader.load(png)
        #expect(photo.decodedWidth == 64 && photo.grid.tokenCount == 48)
    }

    @Test func streamedPNGKeepsThePixelLimitAndErrors() throws {
        var loader = PhotoLoader(patchSize: 8, maxTokens: 16)
        loader.decodeOptions.maxPixels = 300 * 200 - 1
        let png = Self.bilevelPNG(width: 300, height: 200)
        #expect(throws: ImageDecodingError(.tooManyPixels(width: 300, height: 200, limit: 300 * 200 - 1))) {
            try loader.load(png)
        }
        loader.decodeOptions.maxPixels = 300 * 200
        _ = try loader.load(png)
        do {
            _ = try loader.load(Array(png.dropLast(13)))
            Issue.record("a PNG cut before IEND loaded")
        } catch {
            guard case .truncated = error.problem else { Issue.record("expected truncated, got \(error)"); return }
        }
    }
}

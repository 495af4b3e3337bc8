import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// JPEG variants decoded within a small tolerance of their smooth synthetic sources.
/// Tolerances are the largest per-sample error measured (libjpeg-turbo 2.1.5, islow IDCT,
/// fancy upsampling) plus one: q100 4:4:4 measured 4 (YCbCr rounding), q95 4:2:0 measured
/// 10, grayscale 0, CMYK 1, YCCK 3 (colour conversion there too).
@Suite struct JPEGDecodingTests {
    // 61×45: not a multiple of the 8/16-pixel MCU, so edge blocks are exercised.
    static let width = 61, height = 45
    static let source = Fixtures.smoothImage(width: width, height: height)

    @Test(arguments: [
        ("baseline q100 4:4:4", Fixtures.JPEGOptions(), 5),
        ("baseline q95 4:2:0", Fixtures.JPEGOptions(quality: 95, subsample: true), 11),
        ("progressive q100", Fixtures.JPEGOptions(progressive: true), 5),
        ("progressive q95 4:2:0", Fixtures.JPEGOptions(quality: 95, progressive: true, subsample: true), 11),
        ("restart every MCU", Fixtures.JPEGOptions(restartInterval: 1), 5),
        ("restart every 5 MCUs, progressive", Fixtures.JPEGOptions(progressive: true, restartInterval: 5), 5),
    ])
    func decodesColour(_ name: String, options: Fixtures.JPEGOptions, tolerance: Int) throws {
        let jpeg = Fixtures.jpeg(Self.source, options)
        let header = try ImageDecoder.header(of: jpeg)
        #expect(header == ImageHeader(format: .jpeg, storedWidth: Self.width,
                                      storedHeight: Self.height, orientation: .up))
        let decoded = try ImageDecoder.decodeWithWarnings(jpeg)
        #expect(decoded.warnings.isEmpty)
        let error = maxDifference(decoded.image.pixels, Self.source.pixels)
        #expect(error <= tolerance, "\(name): max error \(error)")
    }

    @Test(arguments: [false, true])
    func decodesGrayscaleToRGB(progressive: Bool) throws {
        let gray = stride(from: 0, to: Self.source.pixels.count, by: 3).map { Self.source.pixels[$0] }
        let jpeg = Fixtures.jpeg(width: Self.width, height: Self.height, components: 1,
                                 pixels: gray, .init(progressive: progressive))
        let image = try ImageDecoder.decode(jpeg)
        let expected = gray.flatMap { [$0, $0, $0] }
        let error = maxDifference(image.pixels, expected)
        #expect(error <= 1)
    }

    /// CMYK (0 = no ink) whose expected RGB is R = (255 − C)(255 − K)/255, etc.
    static func cmykSource() -> (cmyk: [UInt8], rgb: [UInt8]) {
        var cmyk = [UInt8](), rgb = [UInt8]()
        for y in 0..<height {
            for x in 0..<width {
                let ink = [UInt8(200 * x / (width - 1)), UInt8(180 * y / (height - 1)),
                           UInt8(90 + 40 * ((x + y) % 13) / 12), UInt8(60 * x / (width - 1))]
                cmyk += ink
                for c in 0..<3 {
                    rgb.append(UInt8(((255 - Int(ink[c])) * (255 - Int(ink[3])) + 127) / 255))
                }
            }
        }
        return (cmyk, rgb)
    }

    @Test(arguments: [
        ("CMYK", Fixtures.JPEGOptions(), 2),
        ("CMYK, Adobe inverted", Fixtures.JPEGOptions(adobeMarker: true), 2),
        ("YCCK, Adobe inverted", Fixtures.JPEGOptions(adobeMarker: true, ycck: true), 4),
        ("YCCK, Adobe inverted, progressive",
         Fixtures.JPEGOptions(progressive: true, adobeMarker: true, ycck: true), 4),
    ])
    func decodesFourComponentsToRGB(_ name: String, options: Fixtures.JPEGOptions,
                                    tolerance: Int) throws {
        let (cmyk, rgb) = Self.cmykSource()
        let jpeg = Fixtures.jpeg(width: Self.width, height: Self.height, components: 4,
                                 pixels: cmyk, options)
        let image = try ImageDecoder.decode(jpeg)
        let error = maxDifference(image.pixels, rgb)
        #expect(error <= tolerance, "\(name): max error \(error)")
    }

    @Test func toleratedWarningsAreReportedAndPixelsKept() throws {
        let jpeg = Fixtures.jpeg(Self.source)
        // Junk between two marker segments: libjpeg skips it with a warning, no pixel is lost.
        let dqt = try #require((2..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDB })
        let damaged = Array(jpeg[..<dqt]) + [1, 2, 3] + Array(jpeg[dqt...])
        let clean = try ImageDecoder.decode(jpeg)
        let decoded = try ImageDecoder.decodeWithWarnings(damaged)
        #expect(decoded.image == clean)
        #expect(decoded.warnings.count == 1)
        #expect(decoded.warnings.first?.contains("extraneous bytes") == true)
    }
}

@Suite struct ConcurrentDecodingTests {
    /// libjpeg/libpng state is per call, so decoders run in parallel safely.
    @Test func parallelDecodesAgree() async throws {
        let jpeg = Fixtures.jpeg(Fixtures.smoothImage(width: 120, height: 80), .init(progressive: true))
        let png = try ImageEncoder.png(Fixtures.smoothImage(width: 120, height: 80))
        let expectedJPEG = try ImageDecoder.decode(jpeg)
        let results = try await withThrowingTaskGroup(of: (Bool, RGBImage).self) { group in
            for i in 0..<16 {
                group.addTask {
                    i % 2 == 0 ? (true, try ImageDecoder.decode(jpeg)) : (false, try ImageDecoder.decode(png))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (isJPEG, image) in results {
            #expect(image == (isJPEG ? expectedJPEG : Fixtures.smoothImage(width: 120, height: 80)))
        }
    }
}

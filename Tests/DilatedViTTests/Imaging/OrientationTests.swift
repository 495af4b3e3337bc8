import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// EXIF orientation, checked against the EXIF definitions written out as plain loops:
/// stored pixel (x, y) of a W×H image is displayed at the position below.
@Suite struct OrientationTests {
    static func displayPosition(x: Int, y: Int, width w: Int, height h: Int,
                                orientation: Int) -> (Int, Int) {
        switch orientation {
        case 1: (x, y)
        case 2: (w - 1 - x, y)
        case 3: (w - 1 - x, h - 1 - y)
        case 4: (x, h - 1 - y)
        case 5: (y, x)
        case 6: (h - 1 - y, x)
        case 7: (h - 1 - y, w - 1 - x)
        default: (y, w - 1 - x)
        }
    }

    static func reference(_ image: RGBImage, orientation: Int) -> RGBImage {
        let swaps = orientation >= 5
        let (ow, oh) = swaps ? (image.height, image.width) : (image.width, image.height)
        var pixels = [UInt8](repeating: 0, count: image.pixels.count)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let (dx, dy) = displayPosition(x: x, y: y, width: image.width,
                                               height: image.height, orientation: orientation)
                for c in 0..<3 { pixels[(dy * ow + dx) * 3 + c] = image.pixels[(y * image.width + x) * 3 + c] }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: pixels)
    }

    /// 5×3, every pixel distinct: any wrong move shows.
    static let asymmetric = RGBImage(width: 5, height: 3,
                                     pixels: (0..<45).map { UInt8($0 * 5) })

    @Test(arguments: ExifOrientation.allCases)
    func transformMatchesDefinition(_ orientation: ExifOrientation) {
        let expected = Self.reference(Self.asymmetric, orientation: orientation.rawValue)
        #expect(Self.asymmetric.applying(orientation) == expected)
    }

    @Test(arguments: 1...8, [false, true])
    func jpegExifOrientationIsApplied(_ value: Int, bigEndian: Bool) throws {
        let source = Fixtures.smoothImage(width: 29, height: 17)
        let plain = try ImageDecoder.decode(Fixtures.jpeg(source))
        let tagged = Fixtures.jpeg(source, .init(app1: Fixtures.exifSegment(
            orientation: UInt16(value), bigEndian: bigEndian)))

        let header = try ImageDecoder.header(of: tagged)
        #expect(header.orientation.rawValue == value)
        #expect((header.width, header.height) == (value >= 5 ? (17, 29) : (29, 17)))
        // Same entropy-coded data, so the pixels are identical before orientation.
        #expect(try ImageDecoder.decode(tagged) == Self.reference(plain, orientation: value))
        #expect(try ImageDecoder.decode(tagged, options: .init(appliesOrientation: false)) == plain)
    }

    @Test(arguments: [
        ("orientation 0", Fixtures.exifSegment(orientation: 0)),
        ("orientation 9", Fixtures.exifSegment(orientation: 9)),
        ("IFD offset past the end", Array("Exif\0\0II*\0".utf8) + [0xFF, 0xFF, 0, 0]),
        ("entries cut short", Array(Fixtures.exifSegment(orientation: 6).prefix(30))),
        ("bad byte order", Array("Exif\0\0XX*\0".utf8) + [8, 0, 0, 0, 0, 0]),
        ("not EXIF (XMP)", Array("http://ns.adobe.com/xap/1.0/\0<x/>".utf8)),
    ])
    func malformedExifMeansUpright(_ name: String, app1: [UInt8]) throws {
        let jpeg = Fixtures.jpeg(Fixtures.smoothImage(width: 9, height: 5), .init(app1: app1))
        #expect(try ImageDecoder.header(of: jpeg).orientation == .up, "\(name)")
        #expect(try ImageDecoder.decode(jpeg).width == 9)
    }
}

import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Every PNG colour type × legal bit depth, plain and Adam7, checked pixel for pixel
/// against values computed here from the PNG specification.
@Suite struct PNGDecodingTests {
    struct Case: CustomStringConvertible, Sendable {
        var colorType: Int32
        var bitDepth: Int32
        var paletteTransparency = false
        var colorKey = false
        var description: String {
            "type \(colorType) depth \(bitDepth)\(paletteTransparency ? " +tRNS" : "")\(colorKey ? " +key" : "")"
        }
    }

    static let cases: [Case] =
        [1, 2, 4, 8, 16].map { Case(colorType: 0, bitDepth: $0) }
        + [8, 16].map { Case(colorType: 0, bitDepth: $0, colorKey: true) }
        + [8, 16].flatMap { d in [Case(colorType: 4, bitDepth: d), Case(colorType: 2, bitDepth: d),
                                  Case(colorType: 2, bitDepth: d, colorKey: true),
                                  Case(colorType: 6, bitDepth: d)] }
        + [1, 2, 4, 8].flatMap { d in [Case(colorType: 3, bitDepth: d),
                                       Case(colorType: 3, bitDepth: d, paletteTransparency: true)] }

    static let background = RGBColor(red: 10, green: 200, blue: 77)

    @Test(arguments: cases, [false, true])
    func decodesExactly(_ c: Case, interlaced: Bool) throws {
        // 13×11: odd sizes exercise bit packing and Adam7 passes that are partly empty.
        let width = 13, height = 11
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(c.colorType)]!
        let maxValue = (1 << Int(c.bitDepth)) - 1
        var values = [Int]()  // raw sample values, row-major, interleaved
        for y in 0..<height {
            for x in 0..<width {
                for ch in 0..<channels {
                    let spread = c.bitDepth == 16 ? 4099 * x + 257 * 31 * y + 9001 * ch : 7 * x + 13 * y + 5 * ch
                    values.append((spread + x * y) % (maxValue + 1))
                }
            }
        }
        var options = Fixtures.PNGOptions(colorType: c.colorType, bitDepth: c.bitDepth,
                                          interlaced: interlaced)
        var palette = [UInt8]()
        var alphas = [UInt8]()
        if c.colorType == 3 {
            for i in 0...maxValue { palette += [UInt8(i * 37 % 256), UInt8(255 - i * 11 % 256), UInt8(i * 3 % 256)] }
            options.palette = palette
            if c.paletteTransparency {
                // Fewer alphas than entries: the rest are opaque.
                alphas = (0..<max(1, (maxValue + 1) / 2)).map { UInt8($0 * 97 % 256) }
                options.transparency = alphas
            }
        }
        // Colour key: the value of pixel (1, 0), so several pixels match it.
        let key = Array(values[channels..<2 * channels])
        if c.colorKey { options.transparentColor = key.map { UInt16($0) } }

        let samples: [UInt8] = c.bitDepth == 16
            ? values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            : values.map { UInt8($0) }
        let png = Fixtures.png(width: width, height: height, samples: samples, options)

        func to8(_ v: Int) -> Int {
            c.bitDepth == 16 ? (v * 255 + 32767) / 65535 : v * 255 / maxValue
        }
        func blend(_ color: Int, _ alpha: Int, _ bg: UInt8) -> UInt8 {
            UInt8((alpha * color + (255 - alpha) * Int(bg) + 127) / 255)
        }
        var expected = [UInt8]()
        let bg = [Self.background.red, Self.background.green, Self.background.blue]
        for p in 0..<(width * height) {
            let s = Array(values[p * channels..<(p + 1) * channels])
            let rgb: [Int], alpha: Int
            switch c.colorType {
            case 0: rgb = [to8(s[0]), to8(s[0]), to8(s[0])]; alpha = c.colorKey && s == key ? 0 : 255
            case 2: rgb = s.map(to8); alpha = c.colorKey && s == key ? 0 : 255
            case 3: rgb = (0..<3).map { Int(palette[3 * s[0] + $0]) }
                    alpha = s[0] < alphas.count ? Int(alphas[s[0]]) : 255
            case 4: rgb = [to8(s[0]), to8(s[0]), to8(s[0])]; alpha = to8(s[1])
            default: rgb = s[0..<3].map(to8); alpha = to8(s[3])
            }
            for ch in 0..<3 { expected.append(blend(rgb[ch], alpha, bg[ch])) }
        }

        let options2 = DecodeOptions(background: Self.background)
        let header = try ImageDecoder.header(of: png)
        #expect(header == ImageHeader(format: .png, storedWidth: width, storedHeight: height,
                                      orientation: .up))
        let image = try ImageDecoder.decode(png, options: options2)
        #expect(image.width == width && image.height == height)
        #expect(image.pixels == expected, "\(c) interlaced: \(interlaced)")
    }

    /// png_set_scale_16 must be exactly round(v · 255 / 65535) for all 65,536 values.
    @Test func sixteenBitScalingRoundsEveryValue() throws {
        let samples = (0..<65536).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let png = Fixtures.png(width: 256, height: 256, samples: samples,
                               .init(colorType: 0, bitDepth: 16))
        let image = try ImageDecoder.decode(png)
        for v in 0..<65536 {
            let expected = UInt8((v * 255 + 32767) / 65535)
            if image.pixels[3 * v] != expected {
                Issue.record("16-bit \(v) → \(image.pixels[3 * v]), expected \(expected)")
                return
            }
        }
    }

    @Test func transparencyDefaultsToWhiteBackground() throws {
        // RGBA: transparent, half, opaque.
        let samples: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 128, 40, 50, 60, 255]
        let png = Fixtures.png(width: 3, height: 1, samples: samples, .init(colorType: 6, bitDepth: 8))
        let image = try ImageDecoder.decode(png)
        #expect(image.pixels == [255, 255, 255, 127, 127, 127, 40, 50, 60])
    }

    @Test func exifChunkOrientsPNG() throws {
        // 3×2 gray, orientation 6 (rotate 90° clockwise) → 2×3.
        let samples: [UInt8] = [1, 2, 3, 4, 5, 6]
        let png = Fixtures.png(width: 3, height: 2, samples: samples,
                               .init(colorType: 0, bitDepth: 8,
                                     exif: Fixtures.tiff(orientation: 6, bigEndian: true)))
        let header = try ImageDecoder.header(of: png)
        #expect(header.orientation == .right && header.width == 2 && header.height == 3)
        let image = try ImageDecoder.decode(png)
        #expect(image.width == 2 && image.height == 3)
        #expect(image.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) == [4, 1, 5, 2, 6, 3])
    }
}

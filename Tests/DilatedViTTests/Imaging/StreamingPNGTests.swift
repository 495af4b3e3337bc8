import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// The row-by-row PNG path (`ccodecs_png_decode_rows` → `StreamingResampler`) gives the
/// bytes of the full path — decode, orient, `Resampler.resize` — for every colour type and
/// depth, and fails on damaged files exactly as the full decoder does.
@Suite struct StreamingPNGTests {
    static let background = RGBColor(red: 10, green: 200, blue: 77)

    /// A `width × height` PNG of `c`'s colour type and depth with varied samples (every
    /// palette entry used, some transparent; a colour key that several pixels match).
    static func png(_ c: PNGDecodingTests.Case, width: Int, height: Int, interlaced: Bool = false,
                    orientation: ExifOrientation = .up) -> [UInt8] {
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(c.colorType)]!
        let maxValue = (1 << Int(c.bitDepth)) - 1
        var values = [Int]()
        for y in 0..<height {
            for x in 0..<width {
                for ch in 0..<channels {
                    let spread = c.bitDepth == 16 ? 4099 * x + 257 * 31 * y + 9001 * ch : 7 * x + 13 * y + 5 * ch
                    values.append((spread + x * y) % (maxValue + 1))
                }
            }
        }
        var options = Fixtures.PNGOptions(colorType: c.colorType, bitDepth: c.bitDepth, interlaced: interlaced)
        if c.colorType == 3 {
            var palette = [UInt8]()
            for i in 0...maxValue {
                palette += [UInt8(i * 37 % 256), UInt8(255 - i * 11 % 256), UInt8(i * 3 % 256)]
            }
            options.palette = palette
            if c.paletteTransparency { options.transparency = (0..<max(1, (maxValue + 1) / 2)).map { UInt8($0 * 97 % 256) } }
        }
        if c.colorKey { options.transparentColor = values[channels..<2 * channels].map { UInt16($0) } }
        if orientation != .up { options.exif = Fixtures.tiff(orientation: UInt16(orientation.rawValue), bigEndian: false) }
        let samples: [UInt8] = c.bitDepth == 16
            ? values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            : values.map { UInt8($0) }
        return Fixtures.png(width: width, height: height, samples: samples, options)
    }

    /// The full path, as `PhotoLoader` takes it for images it does not shrink.
    static func reference(_ png: [UInt8], width: Int, height: Int) throws -> RGBImage {
        let decoded = try ImageDecoder.decode(png, options: DecodeOptions(background: background))
        return Resampler.resize(decoded, width: width, height: height)
    }

    static func streamed(_ png: [UInt8], width: Int, height: Int) throws(ImageDecodingError) -> RGBImage {
        let header = try ImageDecoder.header(of: png)
        return try PNGCodec.decodeResampled(png, header: header, orientation: header.orientation,
                                            width: width, height: height, background: background).0
    }

    @Test(arguments: PNGDecodingTests.cases, [false, true])
    func everyColourTypeAndDepthMatchesTheFullPath(_ c: PNGDecodingTests.Case, interlaced: Bool) throws {
        // Odd sizes: partial bytes of packed samples, fractional area weights. (Not 8×1
        // interlaced: the full decoder itself fails on Adam7 images with empty passes.)
        for (width, height) in [(37, 23), interlaced ? (5, 5) : (8, 1)] {
            let png = Self.png(c, width: width, height: height, interlaced: interlaced)
            for (targetWidth, targetHeight) in [(13, 9), (5, 5), (1, 1), (36, 22), (width, 2), (40, 3)] {
                let expected = try Self.reference(png, width: targetWidth, height: targetHeight)
                let actual = try Self.streamed(png, width: targetWidth, height: targetHeight)
                #expect(actual == expected, "\(c) interlaced: \(interlaced) \(width)×\(height) → \(targetWidth)×\(targetHeight)")
            }
        }
    }

    @Test(arguments: ExifOrientation.allCases)
    func exifOrientationMatchesOrientThenResize(_ orientation: ExifOrientation) throws {
        let cases = [PNGDecodingTests.Case(colorType: 2, bitDepth: 8), PNGDecodingTests.Case(colorType: 6, bitDepth: 16),
                     PNGDecodingTests.Case(colorType: 3, bitDepth: 4, paletteTransparency: true),
                     PNGDecodingTests.Case(colorType: 0, bitDepth: 1)]
        for c in cases {
            let png = Self.png(c, width: 61, height: 29, orientation: orientation)
            let header = try ImageDecoder.header(of: png)
            #expect(header.orientation == orientation)
            // Targets in displayed orientation.
            for (w, h) in [(header.width / 3, header.height / 3), (header.width / 4, header.height / 2), (7, 7)] {
                #expect(try Self.streamed(png, width: w, height: h) == Self.reference(png, width: w, height: h),
                        "\(c) \(orientation) → \(w)×\(h)")
            }
        }
    }

    // MARK: errors

    static func fullProblem(_ png: [UInt8]) -> ImageDecodingError? {
        do { _ = try ImageDecoder.decode(png, options: DecodeOptions(background: background)); return nil }
        catch { return error }
    }

    static func streamedProblem(_ png: [UInt8]) -> ImageDecodingError? {
        do {
            // The header of the intact file: damage past it must surface in the row decode.
            let header = ImageHeader(format: .png, storedWidth: 37, storedHeight: 23, orientation: .up)
            _ = try PNGCodec.decodeResampled(png, header: header, orientation: .up, width: 5, height: 4,
                                             background: background)
            return nil
        } catch { return error }
    }

    @Test(arguments: [false, true])
    func truncationAnywhereAfterTheHeaderFailsAlike(interlaced: Bool) throws {
        let png = Self.png(.init(colorType: 6, bitDepth: 8), width: 37, height: 23, interlaced: interlaced)
        let headerEnd = 8 + 25
        var kinds = Set<String>()
        for length in stride(from: headerEnd, to: png.count, by: max(1, (png.count - headerEnd) / 97)) + [png.count - 1] {
            let cut = Array(png.prefix(length))
            let full = try #require(Self.fullProblem(cut), "cut at \(length) decoded")
            #expect(Self.streamedProblem(cut) == full, "cut at \(length)")
            kinds.insert("\(full.problem)".prefix(while: { $0 != "(" }).description)
        }
        #expect(kinds.contains("truncated"))
    }

    @Test(arguments: [PNGDecodingTests.Case(colorType: 2, bitDepth: 8), PNGDecodingTests.Case(colorType: 3, bitDepth: 8),
                      PNGDecodingTests.Case(colorType: 4, bitDepth: 16)])
    func corruptBytesFailAlike(_ c: PNGDecodingTests.Case) throws {
        let png = Self.png(c, width: 37, height: 23)
        var generator = SeededGenerator(state: 17)
        var failures = 0
        // Flip bytes past IHDR: CRC mismatches, bad zlib data, bad filter types.
        for _ in 0..<60 {
            var damaged = png
            let offset = Int.random(in: 33..<png.count, using: &generator)
            damaged[offset] ^= UInt8.random(in: 1...255, using: &generator)
            let full = Self.fullProblem(damaged)
            #expect(Self.streamedProblem(damaged) == full, "byte \(offset)")
            if full != nil { failures += 1 }
        }
        #expect(failures > 50)
    }

    @Test func paletteIndexPastThePaletteIsCorrupt() throws {
        // 2-bit indices up to 3 with a 3-entry palette: index 3 has no colour.
        let samples = (0..<(37 * 23)).map { UInt8($0 % 4) }
        let png = Fixtures.png(width: 37, height: 23, samples: samples,
                               .init(colorType: 3, bitDepth: 2, palette: [1, 2, 3, 4, 5, 6, 7, 8, 9]))
        let full = try #require(Self.fullProblem(png))
        guard case .corrupt = full.problem else { Issue.record("expected corrupt, got \(full)"); return }
        #expect(Self.streamedProblem(png) == full)
    }
}

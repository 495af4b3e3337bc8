import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// Every kind of bad input ends in the right `ImageDecodingError`, never a crash.
@Suite struct DecodingErrorTests {
    static let jpeg = Fixtures.jpeg(Fixtures.smoothImage(width: 40, height: 30))
    static let progressiveJPEG = Fixtures.jpeg(Fixtures.smoothImage(width: 40, height: 30),
                                               .init(progressive: true))
    static let png = try! ImageEncoder.png(Fixtures.smoothImage(width: 40, height: 30))

    static func problem(decoding bytes: [UInt8],
                        options: DecodeOptions = DecodeOptions()) -> ImageDecodingError.Problem? {
        do {
            _ = try ImageDecoder.decode(bytes, options: options)
            return nil
        } catch {
            return error.problem
        }
    }

    static func problem(decodingFile path: String) -> ImageDecodingError? {
        do {
            _ = try ImageDecoder.decode(contentsOf: path)
            return nil
        } catch {
            return error
        }
    }

    // MARK: files

    @Test func emptyInput() throws {
        #expect(Self.problem(decoding: []) == .empty)
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("empty.jpg").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let error = try #require(Self.problem(decodingFile: path))
        #expect(error == ImageDecodingError(.empty, file: path))
        #expect(error.description == "\(path): empty file (0 bytes)")
    }

    @Test func missingFile() throws {
        let path = "/nonexistent/dvit/photo.jpg"
        let error = try #require(Self.problem(decodingFile: path))
        #expect(error.file == path)
        guard case .unreadable(let code, let reason) = error.problem else {
            Issue.record("expected unreadable, got \(error)")
            return
        }
        #expect(code == ENOENT && reason.contains("No such file"))
        #expect(error.description.hasPrefix(path + ": cannot read file"))
    }

    @Test func directoryIsUnreadable() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(Self.problem(decodingFile: directory.path))
        guard case .unreadable(let code, _) = error.problem else {
            Issue.record("expected unreadable, got \(error)")
            return
        }
        #expect(code == EISDIR)
    }

    @Test func filesDecodeByPathAndURL() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The name lies on purpose: the format comes from the bytes.
        let url = directory.appendingPathComponent("really-a-png.jpg")
        try Data(Self.png).write(to: url)
        #expect(try ImageDecoder.decode(contentsOf: url) == Fixtures.smoothImage(width: 40, height: 30))
        #expect(try ImageDecoder.header(contentsOf: url.path).format == .png)
        let remote = try #require(URL(string: "https://example.com/a.jpg"))
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(contentsOf: remote) }
    }

    // MARK: formats

    @Test func randomBytesAreUnrecognized() {
        var generator = SeededGenerator(state: 42)
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = 0x00  // no signature starts with 0
        #expect(Self.problem(decoding: bytes) == .unrecognizedFormat(leadingBytes: Array(bytes.prefix(8))))
    }

    @Test(arguments: [
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x00, 0, 0, 0, 13],  // PNG, last byte wrong
        [0xFF, 0xD8, 0x00, 0xE0, 0, 16],                                // JPEG SOI, no marker
        Array("hello, world".utf8),
        [0x42],
    ] as [[UInt8]])
    func wrongMagicIsUnrecognized(_ bytes: [UInt8]) {
        #expect(Self.problem(decoding: bytes) == .unrecognizedFormat(leadingBytes: Array(bytes.prefix(8))))
    }

    static let otherFormats: [([UInt8], ImageFormat)] = {
        let ascii = { (text: String) -> [UInt8] in Array(text.utf8) }
        var samples: [([UInt8], ImageFormat)] = []
        samples.append((ascii("GIF89a") + [1, 0, 1, 0], .gif))
        samples.append((ascii("GIF87a") + [1, 0, 1, 0], .gif))
        samples.append((ascii("RIFF") + [36, 0, 0, 0] + ascii("WEBPVP8 "), .webp))
        samples.append((ascii("BM") + [0x36, 0, 0, 0], .bmp))
        samples.append(([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], .tiff))
        samples.append(([0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8], .tiff))
        samples.append(([0, 0, 0, 24] + ascii("ftypheic"), .heif))
        samples.append(([0, 0, 0, 24] + ascii("ftypavif"), .avif))
        return samples
    }()

    @Test(arguments: otherFormats)
    func otherFormatsAreNamed(_ bytes: [UInt8], format: ImageFormat) {
        #expect(ImageFormat(sniffing: bytes) == format)
        #expect(Self.problem(decoding: bytes) == .unsupportedFormat(format))
        #expect(ImageDecodingError(.unsupportedFormat(format)).description
            == "\(format) is not supported (only JPEG and PNG are)")
    }

    // MARK: truncation and corruption

    @Test(arguments: [false, true])
    func truncatedJPEG(progressive: Bool) {
        let jpeg = progressive ? Self.progressiveJPEG : Self.jpeg
        for length in [2, 3, 20, 200, jpeg.count / 2, jpeg.count - 2, jpeg.count - 1] {
            let problem = Self.problem(decoding: Array(jpeg.prefix(length)))
            guard case .truncated(.jpeg, _) = problem else {
                Issue.record("JPEG cut at \(length) of \(jpeg.count): \(String(describing: problem))")
                continue
            }
        }
    }

    @Test func truncatedPNG() {
        let png = Self.png
        for length in [2, 4, 8, 20, 40, png.count / 2, png.count - 12, png.count - 1] {
            let problem = Self.problem(decoding: Array(png.prefix(length)))
            guard case .truncated(.png, _) = problem else {
                Issue.record("PNG cut at \(length) of \(png.count): \(String(describing: problem))")
                continue
            }
        }
    }

    /// Chunk type → offset of its data in a PNG.
    static func chunkOffset(_ type: String, in png: [UInt8]) -> Int? {
        var offset = 8
        while offset + 8 <= png.count {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            if String(decoding: png[offset + 4..<offset + 8], as: UTF8.self) == type { return offset + 8 }
            offset += 12 + length
        }
        return nil
    }

    @Test(arguments: ["IHDR", "IDAT", "eXIf"])
    func crcMismatchIsCorrupt(_ chunk: String) throws {
        var png = Fixtures.png(width: 4, height: 3, samples: [UInt8](repeating: 9, count: 12),
                               .init(colorType: 0, bitDepth: 8, exif: Fixtures.tiff(orientation: 3, bigEndian: false)))
        let data = try #require(Self.chunkOffset(chunk, in: png))
        let length = png[data - 8..<data - 4].reduce(0) { $0 << 8 | Int($1) }
        var damagedData = png
        png[data + length] ^= 0x01  // the stored CRC no longer matches intact data
        let problem = Self.problem(decoding: png)
        guard case .corrupt(.png, let detail) = problem else {
            Issue.record("\(chunk): \(String(describing: problem))")
            return
        }
        #expect(detail.contains("CRC"), "\(detail)")

        // Damaged data is caught too (for IDAT, zlib may notice before the CRC does).
        damagedData[data + length - 1] ^= 0x40
        guard case .corrupt(.png, _) = Self.problem(decoding: damagedData) else {
            Issue.record("\(chunk) with damaged data was not reported corrupt")
            return
        }
    }

    @Test func markerInsideScanDataIsCorrupt() {
        var jpeg = Self.jpeg
        let middle = jpeg.count * 3 / 4
        jpeg[middle] = 0xFF
        jpeg[middle + 1] = 0xD9  // EOI in the middle of the entropy-coded data
        let problem = Self.problem(decoding: jpeg)
        guard case .corrupt(.jpeg, let detail) = problem else {
            Issue.record("\(String(describing: problem))")
            return
        }
        #expect(detail.contains("Corrupt JPEG data"))
    }

    // MARK: pixel limit

    /// The JPEG with its SOF0 size replaced.
    static func jpegClaiming(width: Int, height: Int) throws -> [UInt8] {
        var jpeg = Self.jpeg
        let sof = try #require((2..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg[sof + 5] = UInt8(height >> 8); jpeg[sof + 6] = UInt8(height & 0xFF)
        jpeg[sof + 7] = UInt8(width >> 8); jpeg[sof + 8] = UInt8(width & 0xFF)
        return jpeg
    }

    @Test func hugeJPEGHeaderIsRefusedBeforeDecoding() throws {
        // Over libjpeg's own 65500 limit: still reported as too many pixels.
        let giant = try Self.jpegClaiming(width: 65535, height: 65535)
        #expect(Self.problem(decoding: giant)
            == .tooManyPixels(width: 65535, height: 65535, limit: 1_000_000_000))
        guard case .unsupportedFeature(.jpeg, _) = Self.problem(decoding: giant, options: .init(maxPixels: .max)) else {
            Issue.record("65535² with no limit should be unsupported by libjpeg")
            return
        }
        // Within libjpeg's limit but over ours: would be a 3.6 GB buffer.
        let large = try Self.jpegClaiming(width: 40000, height: 30000)
        #expect(Self.problem(decoding: large)
            == .tooManyPixels(width: 40000, height: 30000, limit: 1_000_000_000))
        #expect(try ImageDecoder.header(of: large).pixelCount == 1_200_000_000)
        #expect(Self.problem(decoding: Self.jpeg, options: .init(maxPixels: 1199))
            == .tooManyPixels(width: 40, height: 30, limit: 1199))
        #expect(Self.problem(decoding: Self.jpeg, options: .init(maxPixels: 1200)) == nil)
    }

    @Test func hugePNGHeaderIsRefusedBeforeDecoding() throws {
        var png = Self.png
        for (offset, value) in [(16, 100_000), (20, 100_000)] {
            for i in 0..<4 { png[offset + i] = UInt8(value >> (24 - 8 * i) & 0xFF) }
        }
        let crc = crc32(png[12..<29])
        for i in 0..<4 { png[29 + i] = UInt8(crc >> (24 - 8 * UInt32(i)) & 0xFF) }
        #expect(Self.problem(decoding: png)
            == .tooManyPixels(width: 100_000, height: 100_000, limit: 1_000_000_000))
    }

    // MARK: robustness

    /// Random byte mutations of valid files: each decode either succeeds or throws.
    @Test func mutatedFilesNeverCrash() throws {
        let interlaced = Fixtures.png(width: 17, height: 9, samples: (0..<(17 * 9 * 4)).map { UInt8($0 % 251) },
                                      .init(colorType: 6, bitDepth: 8, interlaced: true))
        var generator = SeededGenerator(state: 7)
        let options = DecodeOptions(maxPixels: 1 << 20)
        var failures = 0
        for original in [Self.jpeg, Self.progressiveJPEG, Self.png, interlaced] {
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 2..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                do {
                    let image = try ImageDecoder.decode(bytes, options: options)
                    #expect(image.pixels.count == image.width * image.height * 3)
                } catch {
                    failures += 1
                }
            }
        }
        #expect(failures > 0)
    }
}

/// CRC-32 as PNG uses it (ISO 3309, reflected 0xEDB88320).
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

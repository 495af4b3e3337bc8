import Foundation
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

#if canImport(Glibc)
import Glibc
#endif

/// Hostile and unusual photo files, generated (never downloaded) from the fixture encoders
/// and a fixed seed, each with what reading it must give. Shared by the library tests, the
/// end-to-end `dvit classify` test and the fuzz seed corpus.
enum HostileCorpus {
    enum Expectation: Sendable {
        /// An `ImageDecodingError` whose message contains `fragment`.
        case error(String)
        /// An unusual but valid file that must decode to this (oriented) size.
        case decodes(width: Int, height: Int)
    }

    enum Content: Sendable {
        case bytes([UInt8])
        /// A directory with this name (it holds nothing).
        case directory
        /// A symbolic link to a target that fails when read (see `unreadableByRead`).
        case symlink(String)
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var content: Content
        var expected: Expectation
        var description: String { name }
    }

    static let jpeg = Fixtures.jpeg(Fixtures.smoothImage(width: 48, height: 32), .init(quality: 90))
    static let progressiveJPEG = Fixtures.jpeg(Fixtures.smoothImage(width: 48, height: 32),
                                               .init(quality: 90, progressive: true))
    static let png = Fixtures.png(width: 12, height: 8, samples: (0..<(12 * 8 * 3)).map { UInt8($0 % 256) },
                                  .init(colorType: 2, bitDepth: 8))

    /// Offsets spread over the whole file: inside the signature, the headers, the tables,
    /// the entropy-coded data and the trailer.
    static func cutOffsets(of count: Int, steps: Int) -> [Int] {
        Array(Set((0..<steps).map { max(2, count * ($0 + 1) / (steps + 1)) } + [2, 3, count - 2, count - 1])).sorted()
    }

    /// Every case; `cuts` truncation offsets per format (the CLI test uses fewer).
    static func cases(cuts: Int = 24) -> [Case] {
        var cases: [Case] = []
        func add(_ name: String, _ bytes: [UInt8], _ expected: Expectation) {
            cases.append(Case(name: name, content: .bytes(bytes), expected: expected))
        }
        add("empty.jpg", [], .error("empty file (0 bytes)"))

        var generator = SeededGenerator(state: 2024)
        for name in ["random.jpg", "random.png"] {
            var bytes = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] = 0x00  // no known signature starts with 0
            add(name, bytes, .error("not a JPEG or PNG image (starts with 00 "))
        }

        for offset in cutOffsets(of: jpeg.count, steps: cuts) {
            add("cut-\(offset)-of-\(jpeg.count).jpg", Array(jpeg.prefix(offset)), .error("truncated JPEG data"))
        }
        for offset in cutOffsets(of: progressiveJPEG.count, steps: cuts / 2) {
            add("cut-\(offset)-progressive.jpg", Array(progressiveJPEG.prefix(offset)), .error("truncated JPEG data"))
        }
        for offset in cutOffsets(of: png.count, steps: cuts) {
            add("cut-\(offset)-of-\(png.count).png", Array(png.prefix(offset)), .error("truncated PNG data"))
        }

        add("jpeg-eoi-first.jpg", [0xFF, 0xD9, 0xFF] + jpeg.dropFirst(3), .error("not a JPEG or PNG image (starts with FF D9 FF"))
        add("png-lowercase-magic.png", [0x89] + Array("png".utf8) + png.dropFirst(4),
            .error("not a JPEG or PNG image (starts with 89 70 6E 67"))

        // Huffman tables: a DHT whose code counts add up to more symbols than it holds,
        // and one addressed to table class 2 (only 0 = DC and 1 = AC exist).
        add("huffman-counts.jpg", withDHT(jpeg) { dht in dht[1...16].indices.forEach { dht[$0] = 0xFF } },
            .error("corrupt JPEG data (Bogus Huffman table definition)"))
        add("huffman-class.jpg", withDHT(jpeg) { dht in dht[0] = 0x20 | (dht[0] & 0x0F) },
            .error("corrupt JPEG data (Bogus DHT index"))
        // Huffman codes in the scan that no table defines: the entropy data is damaged.
        add("huffman-bad-code.jpg", scanDataFilled(jpeg, with: 0xFE), .error("corrupt JPEG data"))

        add("png-bad-crc.png", flippingCRC(of: "IDAT", in: png), .error("corrupt PNG data (IDAT: CRC error)"))
        add("png-bit-depth-3.png", withIHDR(png) { $0[8] = 3 }, .error("corrupt PNG data (Invalid IHDR data: Invalid bit depth in IHDR;"))
        add("png-color-type-5.png", withIHDR(png) { $0[9] = 5 }, .error("corrupt PNG data (Invalid IHDR data: Invalid color type in IHDR)"))
        add("png-zero-width.png", withIHDR(png) { setBigEndian(0, at: 0, in: &$0) },
            .error("corrupt PNG data (Invalid IHDR data: Image width is zero in IHDR)"))
        add("png-width-2e31.png", withIHDR(png) { setBigEndian(1 << 31, at: 0, in: &$0) },
            .error("corrupt PNG data (PNG unsigned integer out of range)"))
        add("png-width-2e31-1.png", withIHDR(png) { setBigEndian((1 << 31) - 1, at: 0, in: &$0) },
            .error("too many pixels: 2147483647×8"))
        add("jpeg-65535x65535.jpg", claiming(jpeg, width: 65535, height: 65535),
            .error("too many pixels: 65535×65535 = 4294836225 exceeds the limit of 1000000000"))
        add("jpeg-zero-height.jpg", claiming(jpeg, width: 48, height: 0),
            .error("corrupt JPEG data (Empty JPEG image (DNL not supported))"))
        add("palette-index-out-of-range.png", paletteIndexOutOfRange(),
            .error("corrupt PNG data (palette index 2 is past the 2-entry palette)"))

        let ascii = { (text: String) in Array(text.utf8) }
        add("really-a-gif.jpg", ascii("GIF89a") + [1, 0, 1, 0, 0x80, 0, 0] + [0, 0, 0, 255, 255, 255] + ascii(",") + [0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B],
            .error("GIF is not supported (only JPEG and PNG are)"))
        add("really-a-webp.jpg", ascii("RIFF") + [26, 0, 0, 0] + ascii("WEBPVP8L") + [13, 0, 0, 0, 0x2F, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE, 0x07, 0],
            .error("WebP is not supported (only JPEG and PNG are)"))

        // Unusual but valid: each must decode.
        add("trailing-garbage.jpg", jpeg + Array(repeating: 0xAB, count: 500), .decodes(width: 48, height: 32))
        add("fill-bytes-before-markers.jpg", withFillBytes(jpeg), .decodes(width: 48, height: 32))
        add("png-named.jpg", png, .decodes(width: 12, height: 8))
        add("one-pixel.png", Fixtures.png(width: 1, height: 1, samples: [7], .init(colorType: 0, bitDepth: 8)),
            .decodes(width: 1, height: 1))
        add("strip-1x2000.jpg", Fixtures.jpeg(width: 1, height: 2000, components: 1,
                                              pixels: (0..<2000).map { UInt8($0 % 256) }),
            .decodes(width: 1, height: 2000))
        add("private-chunk.png", insertingChunk("prVt", [1, 2, 3], beforeChunk: "IDAT", in: png),
            .decodes(width: 12, height: 8))
        add("rotated-exif.jpg", Fixtures.jpeg(Fixtures.smoothImage(width: 48, height: 32),
                                              .init(quality: 90, app1: Fixtures.exifSegment(orientation: 6))),
            .decodes(width: 32, height: 48))

        cases.append(Case(name: "directory.jpg", content: .directory, expected: .error("cannot read file (Is a directory, errno 21)")))
        // Reading /proc/self/mem from offset 0 fails with EIO for every user, root included:
        // the one read error a test can provoke without relying on file permissions.
        cases.append(Case(name: "read-error.jpg", content: .symlink("/proc/self/mem"),
                          expected: .error("cannot read file (Input/output error, errno 5)")))
        return cases
    }

    /// Writes every case into `directory` (created if needed); returns name → path.
    @discardableResult
    static func write(_ cases: [Case], into directory: URL) throws -> [String: String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var paths: [String: String] = [:]
        for item in cases {
            let url = directory.appendingPathComponent(item.name)
            switch item.content {
            case .bytes(let bytes): try Data(bytes).write(to: url)
            case .directory: try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            case .symlink(let target): try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
            }
            paths[item.name] = url.path
        }
        return paths
    }

    /// Whether `chmod 000` stops this process from reading a file: false for root (and
    /// anyone with CAP_DAC_OVERRIDE), where permission tests cannot fail to open.
    static let permissionsAreEnforced: Bool = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-perm-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: Data([1])) else { return false }
        defer { try? FileManager.default.removeItem(atPath: path) }
        chmod(path, 0)
        let descriptor = open(path, O_RDONLY)
        if descriptor >= 0 { close(descriptor); return false }
        return true
    }()

    // MARK: byte surgery

    static func setBigEndian(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for i in 0..<4 { bytes[offset + i] = UInt8(value >> (24 - 8 * UInt32(i)) & 0xFF) }
    }

    /// Chunk type → offset of its length field.
    static func chunk(_ type: String, in png: [UInt8]) -> Int {
        var offset = 8
        while offset + 8 <= png.count {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            if String(decoding: png[offset + 4..<offset + 8], as: UTF8.self) == type { return offset }
            offset += 12 + length
        }
        preconditionFailure("no \(type) chunk")
    }

    /// Rewrites the chunk's CRC after `edit` changed its data.
    static func fixCRC(at chunkOffset: Int, in png: inout [UInt8]) {
        let length = png[chunkOffset..<chunkOffset + 4].reduce(0) { $0 << 8 | Int($1) }
        let crc = crc32(png[chunkOffset + 4..<chunkOffset + 8 + length])
        setBigEndian(crc, at: chunkOffset + 8 + length, in: &png)
    }

    /// The PNG with its 13 IHDR data bytes edited and the CRC made valid again, so libpng
    /// judges the values, not the checksum.
    static func withIHDR(_ png: [UInt8], _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var result = png
        let offset = chunk("IHDR", in: png)
        var data = Array(result[offset + 8..<offset + 21])
        edit(&data)
        result.replaceSubrange(offset + 8..<offset + 21, with: data)
        fixCRC(at: offset, in: &result)
        return result
    }

    static func flippingCRC(of type: String, in png: [UInt8]) -> [UInt8] {
        var result = png
        let offset = chunk(type, in: png)
        let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        result[offset + 8 + length] ^= 0x01
        return result
    }

    static func insertingChunk(_ type: String, _ data: [UInt8], beforeChunk next: String, in png: [UInt8]) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 4) + Array(type.utf8) + data + [0, 0, 0, 0]
        setBigEndian(UInt32(data.count), at: 0, in: &chunk)
        fixCRC(at: 0, in: &chunk)
        var result = png
        result.insert(contentsOf: chunk, at: Self.chunk(next, in: png))
        return result
    }

    /// A 2-bit palette image whose pixels use indices 0...3 with a PLTE of only 2 entries.
    /// Encoded with a full palette, then PLTE is cut to two colours (libpng refuses to
    /// write such a file itself).
    static func paletteIndexOutOfRange() -> [UInt8] {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]
        var png = Fixtures.png(width: 4, height: 2, samples: [0, 1, 2, 3, 3, 2, 1, 0],
                               .init(colorType: 3, bitDepth: 2, palette: palette))
        let offset = chunk("PLTE", in: png)
        png.removeSubrange(offset + 8 + 6..<offset + 8 + 12)
        setBigEndian(6, at: offset, in: &png)
        fixCRC(at: offset, in: &png)
        return png
    }

    /// Offset of the first segment with this marker (the byte after 0xFF).
    static func marker(_ code: UInt8, in jpeg: [UInt8]) -> Int {
        var offset = 2
        while offset + 4 <= jpeg.count, jpeg[offset] == 0xFF {
            if jpeg[offset + 1] == code { return offset }
            offset += 2 + (Int(jpeg[offset + 2]) << 8 | Int(jpeg[offset + 3]))
        }
        preconditionFailure("no marker \(code)")
    }

    /// The JPEG with the first DHT segment's payload (class/id byte onward) edited.
    static func withDHT(_ jpeg: [UInt8], _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var result = jpeg
        let offset = marker(0xC4, in: jpeg) + 4
        var table = Array(jpeg[offset..<offset + 17])
        edit(&table)
        result.replaceSubrange(offset..<offset + 17, with: table)
        return result
    }

    /// The JPEG with its entropy-coded data replaced by `byte` (no 0xFF, so no markers).
    static func scanDataFilled(_ jpeg: [UInt8], with byte: UInt8) -> [UInt8] {
        let sos = marker(0xDA, in: jpeg)
        let start = sos + 2 + (Int(jpeg[sos + 2]) << 8 | Int(jpeg[sos + 3]))
        var result = jpeg
        for i in start..<jpeg.count - 2 { result[i] = byte }
        return result
    }

    static func claiming(_ jpeg: [UInt8], width: Int, height: Int) -> [UInt8] {
        var result = jpeg
        let sof = marker(0xC0, in: jpeg)
        result[sof + 5] = UInt8(height >> 8); result[sof + 6] = UInt8(height & 0xFF)
        result[sof + 7] = UInt8(width >> 8); result[sof + 8] = UInt8(width & 0xFF)
        return result
    }

    /// Every marker after SOI preceded by extra 0xFF fill bytes, which JPEG allows.
    static func withFillBytes(_ jpeg: [UInt8]) -> [UInt8] {
        var result: [UInt8] = [0xFF, 0xD8]
        var offset = 2
        while offset + 4 <= jpeg.count, jpeg[offset] == 0xFF {
            let code = jpeg[offset + 1]
            result += [0xFF, 0xFF, 0xFF]
            if code == 0xDA {  // the scan runs to the end of the file
                result += jpeg[offset...]
                return result
            }
            let end = offset + 2 + (Int(jpeg[offset + 2]) << 8 | Int(jpeg[offset + 3]))
            result += jpeg[offset..<end]
            offset = end
        }
        return result
    }
}

/// A still-image file format, recognised from the file's leading bytes (never its name).
public enum ImageFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case jpeg, png, gif, webp, bmp, tiff, heif, avif

    /// Formats this library decodes; the others are recognised only to name them in errors.
    public var isDecodable: Bool { self == .jpeg || self == .png }

    public var description: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .gif: "GIF"
        case .webp: "WebP"
        case .bmp: "BMP"
        case .tiff: "TIFF"
        case .heif: "HEIF"
        case .avif: "AVIF"
        }
    }

    /// Sniffs `bytes`. A file shorter than the JPEG or PNG signature but agreeing with it
    /// (at least 2 bytes) counts as that format, so the decoder can call it truncated.
    public init?(sniffing bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(12))
        func starts(with magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        func isPrefix(of magic: [UInt8]) -> Bool {
            head.count >= 2 && head.count < magic.count && Array(magic.prefix(head.count)) == head
        }
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF]
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ascii = { (text: String) in Array(text.utf8) }
        if starts(with: jpeg) || isPrefix(of: jpeg) {
            self = .jpeg
        } else if starts(with: png) || isPrefix(of: png) {
            self = .png
        } else if starts(with: ascii("GIF87a")) || starts(with: ascii("GIF89a")) {
            self = .gif
        } else if starts(with: ascii("RIFF")) && starts(with: ascii("WEBP"), at: 8) {
            self = .webp
        } else if starts(with: ascii("BM")) {
            self = .bmp
        } else if starts(with: [0x49, 0x49, 0x2A, 0x00]) || starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            self = .tiff
        } else if starts(with: ascii("ftyp"), at: 4), head.count >= 12 {
            // ISO base media file: the major brand tells HEIF stills from AVIF.
            switch String(decoding: head[8..<12], as: UTF8.self) {
            case "avif", "avis": self = .avif
            case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1": self = .heif
            default: return nil
            }
        } else {
            return nil
        }
    }
}

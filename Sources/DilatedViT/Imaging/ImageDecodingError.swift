/// Why a photo could not be read or decoded. `file` is the path when the bytes came from
/// a file; the message (`description`) names it and the problem.
public struct ImageDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// The file could not be read: missing, no permission, a directory...
        case unreadable(errno: Int32, reason: String)
        /// A FIFO, device or socket: refused before reading, since such a file may never end.
        case notARegularFile(String)
        /// Larger than `DecodeOptions.maxFileBytes`; refused before reading.
        case fileTooLarge(bytes: Int, limit: Int)
        /// Reading the photo at its working resolution would need more memory than the
        /// classifier's memory budget allows; refused before decoding.
        case exceedsMemoryLimit(estimatedBytes: Int, limitBytes: Int, tokens: Int)
        /// Zero bytes.
        case empty
        /// The data ends before the image does (libjpeg/libpng's message).
        case truncated(ImageFormat, detail: String)
        /// A format recognised from its magic bytes that this library does not decode.
        case unsupportedFormat(ImageFormat)
        /// No known image signature; `leadingBytes` are the first (up to 8) bytes.
        case unrecognizedFormat(leadingBytes: [UInt8])
        /// A JPEG/PNG using something the codec cannot decode (12-bit or lossless JPEG...).
        case unsupportedFeature(ImageFormat, detail: String)
        /// Stored width × height over `DecodeOptions.maxPixels`; refused before decoding.
        case tooManyPixels(width: Int, height: Int, limit: Int)
        /// Damaged data: bad markers or Huffman codes, CRC mismatch, zlib error...
        case corrupt(ImageFormat, detail: String)
        /// The codec could not get the memory it needed.
        case outOfMemory(ImageFormat, detail: String)
    }

    /// The path of the file, when known.
    public var file: String?
    public var problem: Problem

    public init(_ problem: Problem, file: String? = nil) {
        self.problem = problem
        self.file = file
    }

    public var description: String {
        let subject = file.map { "\($0.escapingControlCharacters): " } ?? ""
        return subject + problem.message
    }
}

extension ImageDecodingError.Problem {
    var message: String {
        switch self {
        case let .unreadable(errno, reason):
            "cannot read file (\(reason), errno \(errno))"
        case let .notARegularFile(kind):
            "not a photo file: it is \(kind)"
        case let .fileTooLarge(bytes, limit):
            "file too large: \(ByteCount(bytes)) exceeds the limit of \(ByteCount(limit)) for one photo"
        case let .exceedsMemoryLimit(estimate, limit, tokens):
            "reading it at \(tokens) tokens needs about \(ByteCount(estimate)) of memory, over the limit of "
                + "\(ByteCount(limit)); lower the token budget (--max-tokens) or raise --memory-limit"
        case .empty:
            "empty file (0 bytes)"
        case let .truncated(format, detail):
            "truncated \(format) data (\(detail))"
        case let .unsupportedFormat(format):
            "\(format) is not supported (only JPEG and PNG are)"
        case let .unrecognizedFormat(bytes):
            "not a JPEG or PNG image (starts with "
                + bytes.map { String($0, radix: 16, uppercase: true) }
                    .map { $0.count == 1 ? "0" + $0 : $0 }.joined(separator: " ") + ")"
        case let .unsupportedFeature(format, detail):
            "unsupported \(format) variant (\(detail))"
        case let .tooManyPixels(width, height, limit):
            "too many pixels: \(width)×\(height) = \(width.multipliedReportingOverflow(by: height).partialValue) exceeds the limit of \(limit)"
        case let .corrupt(format, detail):
            "corrupt \(format) data (\(detail))"
        case let .outOfMemory(format, detail):
            "out of memory decoding \(format) (\(detail))"
        }
    }
}

import CCodecs

extension ccodecs_diag_t {
    /// The codec's error message (empty on success).
    var errorMessage: String { Self.text(message) }

    /// Warnings the codec tolerated, oldest first.
    var warningMessages: [String] {
        let joined = Self.text(warnings)
        return joined.isEmpty ? [] : joined.split(separator: "\n").map(String.init)
    }

    /// The problem a failed C call reports, for an image of `format`.
    package func problem(for status: ccodecs_status, format: ImageFormat) -> ImageDecodingError.Problem {
        let detail = errorMessage
        switch status {
        case CCODECS_TRUNCATED: return .truncated(format, detail: detail)
        case CCODECS_UNSUPPORTED: return .unsupportedFeature(format, detail: detail)
        case CCODECS_FAILURE: return .outOfMemory(format, detail: detail)
        case CCODECS_CAPACITY: preconditionFailure("CCodecs output buffer sized wrongly: \(detail)")
        default: return .corrupt(format, detail: detail)
        }
    }

    /// A NUL-terminated C char array imported as a tuple.
    private static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

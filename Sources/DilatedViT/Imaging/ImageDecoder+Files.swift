import Foundation

extension ImageDecoder {
    /// Reads the file at `path` and decodes it; errors name the file.
    public static func decode(contentsOf path: String,
                              options: DecodeOptions = DecodeOptions()) throws(ImageDecodingError) -> RGBImage {
        try decodeWithWarnings(contentsOf: path, options: options).image
    }

    public static func decode(contentsOf url: URL,
                              options: DecodeOptions = DecodeOptions()) throws(ImageDecodingError) -> RGBImage {
        try decode(contentsOf: try filePath(of: url), options: options)
    }

    package static func decodeWithWarnings(contentsOf path: String,
                                          options: DecodeOptions = DecodeOptions())
        throws(ImageDecodingError) -> DecodedImage
    {
        let bytes = try FileBytes.contents(ofFile: path, maxBytes: options.maxFileBytes)
        do {
            return try decodeWithWarnings(bytes, options: options)
        } catch {
            throw ImageDecodingError(error.problem, file: path)
        }
    }

    /// The header of the file at `path` (the whole file is read: JPEG headers can sit
    /// behind large EXIF and ICC segments).
    public static func header(contentsOf path: String) throws(ImageDecodingError) -> ImageHeader {
        let bytes = try FileBytes.contents(ofFile: path, maxBytes: DecodeOptions.defaultMaxFileBytes)
        do {
            return try header(of: bytes)
        } catch {
            throw ImageDecodingError(error.problem, file: path)
        }
    }

    public static func header(contentsOf url: URL) throws(ImageDecodingError) -> ImageHeader {
        try header(contentsOf: try filePath(of: url))
    }

    private static func filePath(of url: URL) throws(ImageDecodingError) -> String {
        guard url.isFileURL else {
            throw ImageDecodingError(.unreadable(errno: EINVAL, reason: "not a file URL"),
                                     file: url.absoluteString)
        }
        return url.path
    }
}

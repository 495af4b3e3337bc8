/// Decodes JPEG and PNG photos to `RGBImage`, format sniffed from the bytes.
///
/// Guarantees: damaged input never ends the process — every failure is an
/// `ImageDecodingError`; pixel data that is cut short or corrupt is an error, never
/// silently grey; the pixel limit is enforced from the header before pixel memory is
/// allocated. All functions are safe to call concurrently.
package enum ImageDecoder {
    /// Format, size and orientation, without decoding pixels.
    public static func header(of bytes: [UInt8]) throws(ImageDecodingError) -> ImageHeader {
        try header(of: bytes, pixelLimit: .max)
    }

    /// The header; a JPEG over libjpeg's 65500-pixel side limit is reported as
    /// `tooManyPixels` rather than unsupported when it is also over `pixelLimit`, as
    /// `decode` does, so every path to a photo names the same problem.
    static func header(of bytes: [UInt8], pixelLimit: Int) throws(ImageDecodingError) -> ImageHeader {
        let header = switch try decodableFormat(of: bytes) {
        case .png: try PNGCodec.header(of: bytes)
        default: try JPEGCodec.info(of: bytes, pixelLimit: pixelLimit).header
        }
        try checkPixelCount(header, limit: pixelLimit)
        return header
    }

    /// Decodes to RGB8 with the EXIF orientation applied.
    public static func decode(_ bytes: [UInt8],
                              options: DecodeOptions = DecodeOptions()) throws(ImageDecodingError) -> RGBImage {
        try decodeWithWarnings(bytes, options: options).image
    }

    /// `decode(_:options:)`, also returning the header and the codec's tolerated warnings.
    package static func decodeWithWarnings(_ bytes: [UInt8],
                                          options: DecodeOptions = DecodeOptions())
        throws(ImageDecodingError) -> DecodedImage
    {
        let format = try decodableFormat(of: bytes)
        let header: ImageHeader
        let decoded: (RGBImage, [String])
        if format == .png {
            header = try PNGCodec.header(of: bytes)
            try checkPixelCount(header, limit: options.maxPixels)
            decoded = try PNGCodec.decode(bytes, header: header, background: options.background)
        } else {
            let info = try JPEGCodec.info(of: bytes, scaleDenominator: options.jpegScaleDenominator,
                                          pixelLimit: options.maxPixels)
            header = info.header
            try checkPixelCount(header, limit: options.maxPixels)
            decoded = try JPEGCodec.decode(bytes, scaleDenominator: options.jpegScaleDenominator,
                                           info: info)
        }
        let image = options.appliesOrientation ? decoded.0.applying(header.orientation) : decoded.0
        return DecodedImage(image: image, header: header, warnings: decoded.1)
    }

    /// The format of `bytes`, if it is one this library decodes.
    static func decodableFormat(of bytes: [UInt8]) throws(ImageDecodingError) -> ImageFormat {
        if bytes.isEmpty { throw ImageDecodingError(.empty) }
        guard let format = ImageFormat(sniffing: bytes) else {
            throw ImageDecodingError(.unrecognizedFormat(leadingBytes: Array(bytes.prefix(8))))
        }
        guard format.isDecodable else { throw ImageDecodingError(.unsupportedFormat(format)) }
        return format
    }

    private static func checkPixelCount(_ header: ImageHeader, limit: Int) throws(ImageDecodingError) {
        guard header.pixelCount <= limit else {
            throw ImageDecodingError(.tooManyPixels(width: header.storedWidth,
                                                    height: header.storedHeight, limit: limit))
        }
    }
}

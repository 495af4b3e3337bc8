import CCodecs

/// Why `ImageEncoder` could not write an image (an empty image, or out of memory).
package struct ImageEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

/// Writes `RGBImage`s as PNG or JPEG bytes, e.g. heat maps and test fixtures.
package enum ImageEncoder {
    /// Lossless 8-bit RGB PNG, not interlaced.
    public static func png(_ image: RGBImage) throws(ImageEncodingError) -> [UInt8] {
        var params = ccodecs_png_encode_params_t()
        params.width = Int32(image.width)
        params.height = Int32(image.height)
        params.color_type = 2
        params.bit_depth = 8
        return try encode { out, size, diag in
            image.pixels.withUnsafeBufferPointer { pixels in
                ccodecs_png_encode(pixels.baseAddress, &params, out, size, diag)
            }
        }
    }

    /// Baseline JPEG; `quality` 1...100, chroma subsampled 4:2:0 as libjpeg does by default.
    public static func jpeg(_ image: RGBImage, quality: Int = 90) throws(ImageEncodingError) -> [UInt8] {
        var params = ccodecs_jpeg_encode_params_t()
        params.width = Int32(image.width)
        params.height = Int32(image.height)
        params.components = 3
        params.quality = Int32(quality)
        params.subsample = 1
        return try encode { out, size, diag in
            image.pixels.withUnsafeBufferPointer { pixels in
                ccodecs_jpeg_encode(pixels.baseAddress, &params, out, size, diag)
            }
        }
    }

    /// Runs a CCodecs encoder and takes its malloc'd output.
    private static func encode(
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
                 UnsafeMutablePointer<ccodecs_diag_t>) -> ccodecs_status
    ) throws(ImageEncodingError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var diag = ccodecs_diag_t()
        let status = call(&output, &size, &diag)
        defer { ccodecs_free(output) }
        guard status == CCODECS_OK, let output else {
            throw ImageEncodingError(description: "cannot encode image: \(diag.errorMessage)")
        }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}

import CCodecs

/// Swift face of the libpng half of CCodecs.
enum PNGCodec {
    static func header(of bytes: [UInt8]) throws(ImageDecodingError) -> ImageHeader {
        var info = ccodecs_png_info_t()
        var diag = ccodecs_diag_t()
        let status = bytes.withUnsafeBufferPointer { data in
            ccodecs_png_info(data.baseAddress, data.count, &info, &diag)
        }
        guard status == CCODECS_OK else {
            throw ImageDecodingError(diag.problem(for: status, format: .png))
        }
        return ImageHeader(format: .png, storedWidth: Int(info.width),
                           storedHeight: Int(info.height),
                           orientation: ExifOrientation(tagValue: info.orientation))
    }

    /// Decodes to RGB8 at full size, compositing transparency onto `background`.
    static func decode(_ bytes: [UInt8], header: ImageHeader,
                       background: RGBColor) throws(ImageDecodingError) -> (RGBImage, [String]) {
        let count = header.storedWidth * header.storedHeight * 3
        let backgroundBytes = [background.red, background.green, background.blue]
        var diag = ccodecs_diag_t()
        var status = CCODECS_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            var width: Int32 = 0, height: Int32 = 0
            status = bytes.withUnsafeBufferPointer { data in
                ccodecs_png_decode(data.baseAddress, data.count, backgroundBytes,
                                   output.baseAddress, output.count, &width, &height, &diag)
            }
            initialized = status == CCODECS_OK ? count : 0
        }
        guard status == CCODECS_OK else {
            throw ImageDecodingError(diag.problem(for: status, format: .png))
        }
        let image = RGBImage(width: header.storedWidth, height: header.storedHeight,
                             pixels: pixels)
        return (image, diag.warningMessages)
    }
}

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

    /// Decodes row by row (exactly the rows `decode` produces, before orientation), handing
    /// each stored row of `header.storedWidth` RGB8 pixels to `consume`, top to bottom; the
    /// pointer is valid only during the call. Holds a row or two, not the image, except for
    /// Adam7-interlaced files, which CCodecs decodes whole first. On an error, rows already
    /// handed over are from a file that turned out damaged: discard them.
    static func decodeRows(_ bytes: [UInt8], header: ImageHeader, background: RGBColor,
                           _ consume: (UnsafePointer<UInt8>) -> Void) throws(ImageDecodingError) -> [String] {
        let backgroundBytes = [background.red, background.green, background.blue]
        var diag = ccodecs_diag_t()
        var width: Int32 = 0, height: Int32 = 0
        let status = withoutActuallyEscaping(consume) { consume in
            let sink = RowSink(consume)
            return withExtendedLifetime(sink) {
                bytes.withUnsafeBufferPointer { data in
                    ccodecs_png_decode_rows(data.baseAddress, data.count, backgroundBytes, { context, row, _, _ in
                        RowSink.deliver(row, to: context)
                    }, sink.context, &width, &height, &diag)
                }
            }
        }
        guard status == CCODECS_OK else {
            throw ImageDecodingError(diag.problem(for: status, format: .png))
        }
        precondition(Int(width) == header.storedWidth && Int(height) == header.storedHeight,
                     "the PNG's size changed between header and decode")
        return diag.warningMessages
    }

    /// `Resampler.resize(decode(…).applying(orientation), width:height:)` without the
    /// full-size image: the rows stream through a `StreamingResampler`. Same pixels, same
    /// errors, same warnings.
    /// With `keptRows`, only those output rows (a strip of a huge photo; up or up-mirrored only).
    static func decodeResampled(_ bytes: [UInt8], header: ImageHeader, orientation: ExifOrientation,
                                width: Int, height: Int, background: RGBColor,
                                keptRows: Range<Int>? = nil) throws(ImageDecodingError) -> (RGBImage, [String]) {
        let resampler = StreamingResampler(storedWidth: header.storedWidth, storedHeight: header.storedHeight,
                                           orientation: orientation, width: width, height: height, keptRows: keptRows)
        let warnings = try decodeRows(bytes, header: header, background: background) { resampler.consume($0) }
        return (resampler.result(), warnings)
    }

}

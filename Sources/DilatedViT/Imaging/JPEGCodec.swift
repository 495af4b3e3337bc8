import CCodecs

/// Swift face of the libjpeg half of CCodecs.
enum JPEGCodec {
    struct Info {
        var header: ImageHeader
        /// Size after DCT scaling by the requested denominator.
        var outputWidth: Int
        var outputHeight: Int
    }

    /// Reads the header. A size libjpeg refuses outright (over 65500 per side) is still
    /// reported as `tooManyPixels` when it also exceeds `pixelLimit`.
    static func info(of bytes: [UInt8], scaleDenominator: Int = 1,
                     pixelLimit: Int = .max) throws(ImageDecodingError) -> Info {
        var info = ccodecs_jpeg_info_t()
        var diag = ccodecs_diag_t()
        let status = bytes.withUnsafeBufferPointer { data in
            ccodecs_jpeg_info(data.baseAddress, data.count, Int32(scaleDenominator), &info, &diag)
        }
        let width = Int(info.width), height = Int(info.height)
        if status == CCODECS_UNSUPPORTED, width > 0, height > 0, width * height > pixelLimit {
            throw ImageDecodingError(.tooManyPixels(width: width, height: height, limit: pixelLimit))
        }
        guard status == CCODECS_OK else {
            throw ImageDecodingError(diag.problem(for: status, format: .jpeg))
        }
        let header = ImageHeader(format: .jpeg, storedWidth: width, storedHeight: height,
                                 orientation: ExifOrientation(tagValue: info.orientation))
        return Info(header: header, outputWidth: Int(info.output_width),
                    outputHeight: Int(info.output_height))
    }

    /// Decodes to RGB8 at 1/`scaleDenominator` size; `info` comes from `info(of:)` with
    /// the same denominator, so the output is allocated exactly once.
    static func decode(_ bytes: [UInt8], scaleDenominator: Int,
                       info: Info) throws(ImageDecodingError) -> (RGBImage, [String]) {
        let count = info.outputWidth * info.outputHeight * 3
        var diag = ccodecs_diag_t()
        var status = CCODECS_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            var width: Int32 = 0, height: Int32 = 0
            status = bytes.withUnsafeBufferPointer { data in
                ccodecs_jpeg_decode(data.baseAddress, data.count, Int32(scaleDenominator),
                                    output.baseAddress, output.count, &width, &height, &diag)
            }
            initialized = status == CCODECS_OK ? count : 0
        }
        guard status == CCODECS_OK else {
            throw ImageDecodingError(diag.problem(for: status, format: .jpeg))
        }
        let image = RGBImage(width: info.outputWidth, height: info.outputHeight, pixels: pixels)
        return (image, diag.warningMessages)
    }

    /// Output rows `keptRows` of `Resampler.resize(decode(…), width:height:)` (the scaled
    /// decode covering `extent` of it) without the decoded image: only the stored rows those
    /// output rows read are decoded (the ones above are skipped, decoding stops below), one
    /// row at a time, through a `StreamingResampler`. For a strip of a huge photo.
    static func decodeResampledRows(_ bytes: [UInt8], scaleDenominator: Int, info: Info, width: Int, height: Int,
                                    extent: (width: Double, height: Double),
                                    keptRows: Range<Int>) throws(ImageDecodingError) -> (RGBImage, [String]) {
        let resampler = StreamingResampler(storedWidth: info.outputWidth, storedHeight: info.outputHeight,
                                           orientation: .up, width: width, height: height,
                                           extent: extent, keptRows: keptRows)
        let needed = resampler.neededRows
        resampler.skip(toRow: needed.lowerBound)
        let sink = RowSink { resampler.consume($0) }
        var diag = ccodecs_diag_t()
        var decodedWidth: Int32 = 0, decodedHeight: Int32 = 0
        let status = withExtendedLifetime(sink) {
            bytes.withUnsafeBufferPointer { data in
                ccodecs_jpeg_decode_rows(data.baseAddress, data.count, Int32(scaleDenominator), Int32(needed.lowerBound),
                                         Int32(needed.upperBound), { context, row, _, _ in
                    RowSink.deliver(row, to: context)
                }, sink.context, &decodedWidth, &decodedHeight, &diag)
            }
        }
        guard status == CCODECS_OK, resampler.isComplete else {
            throw ImageDecodingError(diag.problem(for: status == CCODECS_OK ? CCODECS_CORRUPT : status, format: .jpeg))
        }
        return (resampler.result(), diag.warningMessages)
    }
}

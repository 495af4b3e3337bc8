import DilatedViT

/// Decodes the photo at `path` for use at a long side of about `longSide / 2` or less: JPEGs
/// at the largest DCT reduction that keeps the long side at `longSide` or more, so a
/// 50-megapixel photo shown at 1024 pixels is never decoded whole. PNGs decode in full.
func decodeReduced(_ path: String, longSideAtLeast longSide: Int) throws(ImageDecodingError) -> RGBImage {
    let header = try ImageDecoder.header(contentsOf: path)
    let wide = header.storedWidth >= header.storedHeight
    let denominator = header.format == .jpeg
        ? PhotoLoader.jpegScaleDenominator(storedWidth: header.storedWidth, storedHeight: header.storedHeight,
                                           keepingWidth: wide ? longSide : 0, height: wide ? 0 : longSide)
        : 1
    return try ImageDecoder.decode(contentsOf: path, options: DecodeOptions(jpegScaleDenominator: denominator))
}

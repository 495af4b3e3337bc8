extension PhotoLoader {
    /// A PNG shrunk to its working resolution as it decodes, row by row, so a huge file
    /// (a 31000×31000 scan: 2.9 GB as RGB8) costs a few rows and the small result instead
    /// of the full-size image. Same pixels as the full path (decode, orient, `Resampler.resize`):
    /// see `StreamingResampler`. `nil` unless the photo is a PNG whose working resolution has
    /// fewer pixels than the PNG, where the full path is as small and is kept.
    func streamedPNG(_ bytes: [UInt8], header: ImageHeader,
                     resolution: WorkingResolution) throws(ImageDecodingError) -> LoadedPhoto? {
        guard Self.streamsPNG(header: header, resolution: resolution) else { return nil }
        let orientation = decodeOptions.appliesOrientation ? header.orientation : .up
        let (resized, _) = try PNGCodec.decodeResampled(bytes, header: header, orientation: orientation,
                                                        width: resolution.width, height: resolution.height,
                                                        background: decodeOptions.background)
        // The full-size decode that was not made, as the full path reports it.
        let swaps = orientation.swapsDimensions
        return LoadedPhoto(
            originalWidth: header.width, originalHeight: header.height,
            decodedWidth: swaps ? header.storedHeight : header.storedWidth,
            decodedHeight: swaps ? header.storedWidth : header.storedHeight,
            jpegScaleDenominator: 1, resolution: resolution,
            grid: PatchGrid(image: resized, patchSize: patchSize, mean: mean, std: std))
    }

    /// Whether `load` streams this photo: a PNG larger than its working resolution.
    static func streamsPNG(header: ImageHeader, resolution: WorkingResolution) -> Bool {
        header.format == .png && resolution.width.saturatingProduct(resolution.height) < header.pixelCount
    }
}

extension PhotoLoader {
    /// The patch rows `rows` of the grid `load(_:plan:)` makes — the same values — for one
    /// rank of a sequence-parallel read, without the decoded photo: a JPEG decodes only the
    /// stored rows those patch rows read (rows above are skipped, decoding stops below) and a
    /// PNG streams every row through, keeping a few; each is resampled row by row
    /// (`StreamingResampler`). Photos that EXIF turns or mirrors are decoded whole and cut.
    package func load(_ bytes: [UInt8], plan: LoadPlan, patchRows rows: Range<Int>) throws(ImageDecodingError) -> LoadedPhoto {
        let header = plan.header, resolution = plan.resolution
        precondition(!rows.isEmpty && rows.clamped(to: 0..<resolution.rows) == rows)
        let upright = header.orientation == .up || !decodeOptions.appliesOrientation
        guard upright && (header.format == .jpeg || header.format == .png) else {
            var photo = try load(bytes, plan: plan)
            photo.grid = photo.grid.rows(rows)
            return photo
        }
        let pixelRows = rows.lowerBound * patchSize..<rows.upperBound * patchSize
        let strip: RGBImage, decodedWidth: Int, decodedHeight: Int
        switch header.format {
        case .jpeg:
            let scale = plan.jpegScaleDenominator
            let info = try JPEGCodec.info(of: bytes, scaleDenominator: scale, pixelLimit: decodeOptions.maxPixels)
            (strip, _) = try JPEGCodec.decodeResampledRows(
                bytes, scaleDenominator: scale, info: info, width: resolution.width, height: resolution.height,
                extent: (Double(header.width) / Double(scale), Double(header.height) / Double(scale)), keptRows: pixelRows)
            (decodedWidth, decodedHeight) = (info.outputWidth, info.outputHeight)
        case .png:
            (strip, _) = try PNGCodec.decodeResampled(bytes, header: header, orientation: .up, width: resolution.width,
                                                      height: resolution.height, background: decodeOptions.background,
                                                      keptRows: pixelRows)
            (decodedWidth, decodedHeight) = (header.storedWidth, header.storedHeight)
        default:
            preconditionFailure("only JPEG and PNG are read in strips")
        }
        return LoadedPhoto(originalWidth: header.width, originalHeight: header.height, decodedWidth: decodedWidth,
                           decodedHeight: decodedHeight, jpegScaleDenominator: plan.jpegScaleDenominator,
                           resolution: resolution, grid: PatchGrid(image: strip, patchSize: patchSize, mean: mean, std: std))
    }

    /// Peak bytes of `load(_:plan:patchRows:)`: the strip's grid and pixels and the
    /// resampler's rows (a turned photo: the whole load's).
    package func estimatedBytes(plan: LoadPlan, patchRows rows: Range<Int>) -> Int {
        guard plan.header.orientation == .up || !decodeOptions.appliesOrientation else { return plan.estimatedBytes }
        let strip = WorkingResolution(rows: rows.count, columns: plan.resolution.columns, patchSize: patchSize)
        let pixels = strip.width.saturatingProduct(strip.height).saturatingProduct(3)
        // A few source rows as floats at the target width, and a decoded row.
        let buffered = (plan.header.storedHeight / plan.resolution.height + 4)
            .saturatingProduct(plan.resolution.width * 3 * MemoryLayout<Float>.stride)
            .saturatingSum(plan.header.storedWidth.saturatingProduct(7))
        return PatchGrid.byteCount(for: strip).saturatingSum(pixels).saturatingSum(buffered)
    }
}

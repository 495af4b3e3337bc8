/// The first stage of the pipeline: photo bytes → RGB → working resolution → patch grid.
///
/// For JPEG the loader decodes with libjpeg's DCT-domain scaling (1/2, 1/4, 1/8) whenever
/// the scaled photo is still at least twice the working size, so a 50-megapixel photo
/// labelled at 1,024 tokens never exists in memory at full size; the area-average resampler
/// then does the final, antialiased step. The pixel limit is checked from the header first.
public struct PhotoLoader: Sendable {
    public var patchSize: Int
    /// Token budget; `0` = the photo's native resolution.
    public var maxTokens: Int
    public var allowsUpscaling: Bool
    /// Per-channel normalisation applied to `value / 255`.
    public var mean: [Float]
    public var std: [Float]
    /// Pixel limit and alpha background (its scale denominator is chosen per photo).
    public var decodeOptions: DecodeOptions

    public init(patchSize: Int, maxTokens: Int, allowsUpscaling: Bool = false,
                mean: [Float] = [0.5, 0.5, 0.5], std: [Float] = [0.5, 0.5, 0.5],
                decodeOptions: DecodeOptions = DecodeOptions()) {
        precondition(patchSize > 0 && maxTokens >= 0 && mean.count == 3 && std.count == 3)
        self.patchSize = patchSize
        self.maxTokens = maxTokens
        self.allowsUpscaling = allowsUpscaling
        self.mean = mean
        self.std = std
        self.decodeOptions = decodeOptions
    }

    /// Loads the photo file at `path`; errors name the file.
    public func load(contentsOf path: String) throws(ImageDecodingError) -> LoadedPhoto {
        let bytes = try readFile(path)
        do {
            return try load(bytes)
        } catch {
            throw ImageDecodingError(error.problem, file: path)
        }
    }

    /// The bytes of the photo file at `path` (a regular file within `maxFileBytes`).
    public func readFile(_ path: String) throws(ImageDecodingError) -> [UInt8] {
        try FileBytes.contents(ofFile: path, maxBytes: decodeOptions.maxFileBytes)
    }

    /// Loads a photo held in memory (JPEG or PNG, sniffed from the bytes).
    public func load(_ bytes: [UInt8]) throws(ImageDecodingError) -> LoadedPhoto {
        try load(bytes, plan: plan(for: bytes))
    }

    /// How `bytes` will be read — working resolution, JPEG reduction, peak memory — from
    /// the header alone, before any pixel memory is allocated.
    package func plan(for bytes: [UInt8]) throws(ImageDecodingError) -> LoadPlan {
        let header = try ImageDecoder.header(of: bytes, pixelLimit: decodeOptions.maxPixels)
        let resolution = workingResolution(width: header.width, height: header.height)
        let denominator = header.format == .jpeg
            ? Self.jpegScaleDenominator(storedWidth: header.storedWidth, storedHeight: header.storedHeight,
                                        swapsSides: header.orientation.swapsDimensions, target: resolution)
            : 1
        return LoadPlan(header: header, resolution: resolution, jpegScaleDenominator: denominator,
                        estimatedBytes: estimatedBytes(header: header, denominator: denominator, resolution: resolution))
    }

    /// Loads `bytes` as `plan` (made by `plan(for:)` from the same bytes) says.
    package func load(_ bytes: [UInt8], plan: LoadPlan) throws(ImageDecodingError) -> LoadedPhoto {
        if let photo = try streamedPNG(bytes, header: plan.header, resolution: plan.resolution) { return photo }
        var options = decodeOptions
        options.jpegScaleDenominator = plan.jpegScaleDenominator
        let decoded = try ImageDecoder.decode(bytes, options: options)
        return finish(decoded, originalWidth: plan.header.width, originalHeight: plan.header.height,
                      scaleDenominator: plan.jpegScaleDenominator, resolution: plan.resolution)
    }

    /// Peak bytes of decoding (twice when the orientation needs a turned copy), the
    /// resampler's float rows and output, and the patch grid. A streamed PNG holds a few
    /// rows instead of the decoded photo: the stored rows one output column averages (twice,
    /// as floats) when EXIF turns it, otherwise a few output rows.
    private func estimatedBytes(header: ImageHeader, denominator: Int, resolution: WorkingResolution) -> Int {
        if Self.streamsPNG(header: header, resolution: resolution) {
            let rows = header.orientation.swapsDimensions ? 2 * (header.storedHeight / resolution.width + 2) : 4
            let buffered = rows.saturatingProduct(max(header.storedWidth, resolution.width))
                .saturatingProduct(3 * MemoryLayout<Float>.stride)
            return buffered.saturatingSum(resolution.width.saturatingProduct(resolution.height).saturatingProduct(3))
                .saturatingSum(PatchGrid.byteCount(for: resolution))
        }
        let decodedWidth = (header.storedWidth + denominator - 1) / denominator
        let decodedHeight = (header.storedHeight + denominator - 1) / denominator
        let copies = header.orientation == .up ? 1 : 2
        let decoded = decodedWidth.saturatingProduct(decodedHeight).saturatingProduct(3 * copies)
        let resampled = max(decodedWidth, decodedHeight).saturatingProduct(resolution.width)
            .saturatingProduct(3 * MemoryLayout<Float>.stride)
            .saturatingSum(resolution.width.saturatingProduct(resolution.height).saturatingProduct(3))
        return decoded.saturatingSum(resampled).saturatingSum(PatchGrid.byteCount(for: resolution))
    }

    /// Prepares pixels the caller already has (e.g. from another decoder or a camera).
    public func load(_ image: RGBImage) -> LoadedPhoto {
        finish(image, originalWidth: image.width, originalHeight: image.height, scaleDenominator: 1,
               resolution: workingResolution(width: image.width, height: image.height))
    }

    public func workingResolution(width: Int, height: Int) -> WorkingResolution {
        WorkingResolution(width: width, height: height, patchSize: patchSize, maxTokens: maxTokens,
                          allowUpscaling: allowsUpscaling)
    }

    /// The largest libjpeg reduction (8, 4, 2 or 1) that leaves at least twice the working
    /// size on both sides. The final resize then only shrinks, and averages at least two
    /// scaled pixels per output pixel: libjpeg's reduction averages whole 8×8 blocks, and a
    /// reduction right down to the working size blurs block boundaries into the result
    /// (measured: 2.3 levels mean error instead of 0.9 on a steep synthetic gradient).
    static func jpegScaleDenominator(storedWidth: Int, storedHeight: Int, swapsSides: Bool,
                                     target: WorkingResolution) -> Int {
        let (targetWidth, targetHeight) = swapsSides
            ? (2 * target.height, 2 * target.width) : (2 * target.width, 2 * target.height)
        return jpegScaleDenominator(storedWidth: storedWidth, storedHeight: storedHeight,
                                    keepingWidth: targetWidth, height: targetHeight)
    }

    /// The largest libjpeg reduction (8, 4, 2 or 1) whose output, `⌈side / n⌉` a side, is
    /// still at least `width × height`.
    package static func jpegScaleDenominator(storedWidth: Int, storedHeight: Int,
                                             keepingWidth width: Int, height: Int) -> Int {
        [8, 4, 2].first { denominator in
            (storedWidth + denominator - 1) / denominator >= width && (storedHeight + denominator - 1) / denominator >= height
        } ?? 1
    }

    private func finish(_ decoded: RGBImage, originalWidth: Int, originalHeight: Int,
                        scaleDenominator: Int, resolution: WorkingResolution) -> LoadedPhoto {
        // A scaled decode ends in a partial pixel when a side is not a multiple of the scale.
        let scale = Double(scaleDenominator)
        let resized = Resampler.resize(decoded, width: resolution.width, height: resolution.height,
                                       coveredWidth: Double(originalWidth) / scale,
                                       coveredHeight: Double(originalHeight) / scale)
        return LoadedPhoto(
            originalWidth: originalWidth, originalHeight: originalHeight,
            decodedWidth: decoded.width, decodedHeight: decoded.height,
            jpegScaleDenominator: scaleDenominator, resolution: resolution,
            grid: PatchGrid(image: resized, patchSize: patchSize, mean: mean, std: std))
    }
}

/// What reading one photo will take, decided from its header.
package struct LoadPlan: Sendable {
    public var header: ImageHeader
    public var resolution: WorkingResolution
    /// libjpeg's reduction (1, 2, 4 or 8; always 1 for PNG).
    public var jpegScaleDenominator: Int
    /// Peak bytes of decoding, resizing and the patch grid.
    public var estimatedBytes: Int
}

/// A photo ready for the model, with the sizes it went through.
public struct LoadedPhoto: Sendable {
    /// The photo's size after EXIF orientation, as a viewer shows it.
    public var originalWidth: Int
    public var originalHeight: Int
    /// The size libjpeg produced (smaller than the original when DCT scaling was used).
    public var decodedWidth: Int
    public var decodedHeight: Int
    public var jpegScaleDenominator: Int
    public var resolution: WorkingResolution
    public var grid: PatchGrid
}

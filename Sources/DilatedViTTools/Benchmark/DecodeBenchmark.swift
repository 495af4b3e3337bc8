import DilatedViT

/// Times the two ways of turning a large JPEG into a patch grid: libjpeg's DCT-scaled
/// decode then resize (what `PhotoLoader` does) against a full-size decode then resize.
public enum DecodeBenchmark {
    public struct Result: Sendable {
        public var photoWidth: Int
        public var photoHeight: Int
        public var resolution: WorkingResolution
        public var scaleDenominator: Int
        /// Median wall-clock milliseconds over the repetitions.
        public var scaledMilliseconds: Double
        public var fullMilliseconds: Double
        /// Bytes of decoded RGB each path holds at its peak.
        public var scaledDecodedBytes: Int
        public var fullDecodedBytes: Int
        public var speedup: Double { fullMilliseconds / scaledMilliseconds }
    }

    /// Runs both paths `repetitions` times on `jpeg` (after one untimed warm-up each).
    public static func run(jpeg: [UInt8], patchSize: Int, maxTokens: Int,
                           repetitions: Int) throws(ImageDecodingError) -> Result {
        let loader = PhotoLoader(patchSize: patchSize, maxTokens: maxTokens)
        let header = try ImageDecoder.header(of: jpeg)
        let resolution = loader.workingResolution(width: header.width, height: header.height)

        var scaledPhoto = try loader.load(jpeg)
        let scaled = try medianMilliseconds(repetitions) { () throws(ImageDecodingError) in
            scaledPhoto = try loader.load(jpeg)
        }
        let full = try medianMilliseconds(repetitions) { () throws(ImageDecodingError) in
            let image = try ImageDecoder.decode(jpeg)
            let resized = Resampler.resize(image, width: resolution.width, height: resolution.height)
            _ = PatchGrid(image: resized, patchSize: patchSize, mean: loader.mean, std: loader.std)
        }
        return Result(photoWidth: header.width, photoHeight: header.height, resolution: resolution,
                      scaleDenominator: scaledPhoto.jpegScaleDenominator,
                      scaledMilliseconds: scaled, fullMilliseconds: full,
                      scaledDecodedBytes: scaledPhoto.decodedWidth * scaledPhoto.decodedHeight * 3,
                      fullDecodedBytes: header.width * header.height * 3)
    }

    /// A `width × height` photo made by mirror-tiling `image`: large, with the detail of a
    /// real photo (an upscaled one would be unrealistically smooth and fast to decode).
    public static func mirrorTiled(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        func reflect(_ i: Int, _ n: Int) -> Int {
            let period = 2 * n, m = i % period
            return m < n ? m : period - 1 - m
        }
        for y in 0..<height {
            let sy = reflect(y, image.height)
            for x in 0..<width {
                let s = (sy * image.width + reflect(x, image.width)) * 3, d = (y * width + x) * 3
                pixels[d] = image.pixels[s]; pixels[d + 1] = image.pixels[s + 1]; pixels[d + 2] = image.pixels[s + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Median of `repetitions` timed runs, after one untimed warm-up run.
    static func medianMilliseconds<Failure: Error>(
        _ repetitions: Int, _ body: () throws(Failure) -> Void
    ) throws(Failure) -> Double {
        try body()
        let clock = ContinuousClock()
        var times = [Double]()
        for _ in 0..<max(1, repetitions) {
            let start = clock.now
            try body()
            times.append((clock.now - start).inMilliseconds)
        }
        return times.sorted()[times.count / 2]
    }
}

/// How a photo's bytes become an `RGBImage` (`PhotoLoader.decodeOptions`).
public struct DecodeOptions: Sendable, Equatable {
    /// Largest stored width × height accepted, checked from the header before any pixel
    /// memory is allocated. It bounds the source, not the (possibly DCT-scaled) output,
    /// because libjpeg's working memory for progressive files grows with the source.
    public var maxPixels: Int
    /// Largest file read as a photo, checked from its size before reading: a photo's bytes
    /// are held in memory while it decodes.
    public var maxFileBytes: Int
    /// JPEG only: decode at 1/n size (n = 1, 2, 4 or 8) with libjpeg's DCT scaling, which
    /// is much faster than decoding fully and shrinking. Each side becomes ⌈side / n⌉.
    /// PNG ignores it and decodes at full size.
    public var jpegScaleDenominator: Int {
        didSet {
            precondition([1, 2, 4, 8].contains(jpegScaleDenominator),
                         "jpegScaleDenominator must be 1, 2, 4 or 8, not \(jpegScaleDenominator)")
        }
    }
    /// What transparent PNG pixels are composited onto: out = (a·c + (255 − a)·bg + 127) / 255.
    /// White unless a tool of this package sets another.
    package var background = RGBColor.white
    /// Rotate/mirror the result as the EXIF orientation says (JPEG APP1, PNG eXIf).
    public var appliesOrientation: Bool

    public static let defaultMaxFileBytes = 2 << 30

    public init(maxPixels: Int = 1_000_000_000, maxFileBytes: Int = defaultMaxFileBytes,
                jpegScaleDenominator: Int = 1, appliesOrientation: Bool = true) {
        precondition([1, 2, 4, 8].contains(jpegScaleDenominator),
                     "jpegScaleDenominator must be 1, 2, 4 or 8, not \(jpegScaleDenominator)")
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
        self.jpegScaleDenominator = jpegScaleDenominator
        self.appliesOrientation = appliesOrientation
    }
}

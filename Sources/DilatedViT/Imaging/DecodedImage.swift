/// A decoded photo with what was learnt on the way.
package struct DecodedImage: Sendable, Equatable {
    /// RGB8 pixels, oriented upright unless `DecodeOptions.appliesOrientation` was off.
    public var image: RGBImage
    public var header: ImageHeader
    /// Problems the codec tolerated because no pixel was lost (e.g. "Corrupt JPEG data:
    /// 3 extraneous bytes before marker 0xd9", a bad ICC profile).
    public var warnings: [String]
}

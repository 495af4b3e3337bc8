/// What a photo's header says, read without decoding any pixels.
package struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    /// Size of the pixel data as stored in the file.
    public var storedWidth: Int
    public var storedHeight: Int
    /// From EXIF (JPEG APP1, PNG eXIf before IDAT); `.up` when absent or invalid.
    public var orientation: ExifOrientation

    public init(format: ImageFormat, storedWidth: Int, storedHeight: Int,
                orientation: ExifOrientation) {
        self.format = format
        self.storedWidth = storedWidth
        self.storedHeight = storedHeight
        self.orientation = orientation
    }

    /// Width as displayed, after the orientation is applied.
    public var width: Int { orientation.swapsDimensions ? storedHeight : storedWidth }
    /// Height as displayed, after the orientation is applied.
    public var height: Int { orientation.swapsDimensions ? storedWidth : storedHeight }
    public var pixelCount: Int { storedWidth.saturatingProduct(storedHeight) }
}

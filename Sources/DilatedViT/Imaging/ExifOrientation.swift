/// The EXIF orientation tag (0x0112): how the stored pixels must be transformed to be
/// displayed upright. Raw values are the tag's values 1...8.
package enum ExifOrientation: Int, Sendable, CaseIterable {
    /// Stored upright.
    case up = 1
    /// Mirrored left–right.
    case upMirrored = 2
    /// Rotated 180°.
    case down = 3
    /// Mirrored top–bottom.
    case downMirrored = 4
    /// Transposed: the stored first row is the displayed left column, top to bottom.
    case leftMirrored = 5
    /// Needs a 90° clockwise rotation (the stored first row is the displayed right column).
    case right = 6
    /// Transversed: the stored first row is the displayed right column, bottom to top.
    case rightMirrored = 7
    /// Needs a 90° counter-clockwise rotation (the stored first row is the displayed left
    /// column, bottom to top).
    case left = 8

    /// Whether displaying the image swaps its width and height.
    public var swapsDimensions: Bool { rawValue >= 5 }

    /// The tag's value, with anything outside 1...8 read as `.up` (as browsers do).
    init(tagValue: Int32) {
        self = ExifOrientation(rawValue: Int(tagValue)) ?? .up
    }
}

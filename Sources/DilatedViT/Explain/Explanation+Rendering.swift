import Foundation

extension Explanation {
    /// The photo with the relevance of label `index` laid over it as a heat map (min–max
    /// normalised over the grid, bilinear between patch centres), captioned with the label
    /// and its probability.
    ///
    /// `photo` is the full picture as decoded (orientation applied); it is resized so its
    /// long side lies in `displaySide` — small photos are enlarged so the caption stays
    /// legible, large ones shrunk.
    public func rendered(over photo: RGBImage, labelAt index: Int? = nil, alpha: Float = 0.5,
                         displaySide: ClosedRange<Int> = 512...1024) -> RGBImage {
        rendered(over: photo, labelAt: index, alpha: alpha, colorMap: .inferno, displaySide: displaySide)
    }

    /// `rendered(over:labelAt:alpha:displaySide:)` in another colour map (`dvit explain --colormap`).
    package func rendered(over photo: RGBImage, labelAt index: Int? = nil, alpha: Float = 0.5,
                          colorMap: ColorMap, displaySide: ClosedRange<Int> = 512...1024) -> RGBImage {
        let index = index ?? predictedIndex
        let (width, height) = Self.displaySize(width: photo.width, height: photo.height, longSide: displaySide)
        var image = relevance(forLabelAt: index).normalised
            .blended(over: Resampler.resize(photo, width: width, height: height), alpha: alpha, colorMap: colorMap)
        let scale = max(1, max(width, height) / 256)
        var caption = "\(labels[index]) \(Self.percent(probabilities[index]))"
        if index != predictedIndex {
            caption += " (top: \(predictedLabel) \(Self.percent(probabilities[predictedIndex])))"
        }
        image.drawLabel(caption, x: scale * 2, y: scale * 2, scale: scale)
        return image
    }

    /// `width × height` scaled (aspect kept) so the long side falls within `longSide`.
    public static func displaySize(width: Int, height: Int, longSide: ClosedRange<Int>) -> (width: Int, height: Int) {
        precondition(width > 0 && height > 0)
        let long = max(width, height)
        let target = min(max(long, longSide.lowerBound), longSide.upperBound)
        return target == long ? (width, height) : Resampler.fittedSize(width: width, height: height, longSide: target)
    }

    private static func percent(_ probability: Float) -> String {
        String(format: "%.1f%%", Double(probability) * 100)
    }
}

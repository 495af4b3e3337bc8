import Foundation
import DilatedViT

/// torchvision's `RandomResizedCrop` geometry: a crop covering a random fraction `scale` of
/// the image's area with a random aspect ratio (log-uniform in `aspectRatio`), placed
/// uniformly; after ten failed tries, the largest centred crop within the ratio range.
public struct RandomResizedCrop: Sendable, Equatable, Codable {
    /// Fraction of the image's area the crop covers.
    public var scale: ClosedRange<Double>
    /// Crop width / height, relative to the output's aspect ratio (so `1...1` never distorts).
    public var aspectRatio: ClosedRange<Double>

    public init(scale: ClosedRange<Double> = 0.35...1, aspectRatio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
        precondition(scale.lowerBound > 0 && scale.upperBound <= 1, "crop scale must lie in (0, 1]")
        precondition(aspectRatio.lowerBound > 0, "crop aspect ratio must be positive")
        self.scale = scale
        self.aspectRatio = aspectRatio
    }

    /// The crop of a `width × height` image for an output of aspect `outputAspect` (w/h).
    package func rect(width: Int, height: Int, outputAspect: Double = 1,
                     using generator: inout SplitMix64) -> PixelRect {
        let area = Double(width * height)
        let logRatio = log(aspectRatio.lowerBound * outputAspect)...log(aspectRatio.upperBound * outputAspect)
        for _ in 0..<10 {
            let target = area * generator.uniform(scale)
            let aspect = exp(generator.uniform(logRatio))
            let w = Int((target * aspect).squareRoot().rounded())
            let h = Int((target / aspect).squareRoot().rounded())
            if w > 0 && h > 0 && w <= width && h <= height {
                let x = generator.nextIndex(below: width - w + 1)
                let y = generator.nextIndex(below: height - h + 1)
                return PixelRect(x: x, y: y, width: w, height: h)
            }
        }
        // Fallback: the whole image, trimmed to the nearest allowed aspect ratio.
        let imageAspect = Double(width) / Double(height)
        let lowest = exp(logRatio.lowerBound), highest = exp(logRatio.upperBound)
        var w = width, h = height
        if imageAspect < lowest {
            h = max(1, min(height, Int((Double(w) / lowest).rounded())))
        } else if imageAspect > highest {
            w = max(1, min(width, Int((Double(h) * highest).rounded())))
        }
        return PixelRect(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
    }
}

/// Random brightness, contrast and saturation factors, each uniform in
/// `[max(0, 1 − strength), 1 + strength]`, applied in a random order (as torchvision's
/// `ColorJitter`, without hue). Zero strengths leave the image unchanged.
public struct ColorJitter: Sendable, Equatable, Codable {
    public var brightness: Float
    public var contrast: Float
    public var saturation: Float

    public init(brightness: Float = 0.2, contrast: Float = 0.2, saturation: Float = 0.2) {
        precondition(brightness >= 0 && contrast >= 0 && saturation >= 0, "jitter strengths must be >= 0")
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
    }

    public static let none = ColorJitter(brightness: 0, contrast: 0, saturation: 0)

    package func apply(to image: inout RGBImage, using generator: inout SplitMix64) {
        func factor(_ strength: Float) -> Float {
            Float(generator.uniform(Double(max(0, 1 - strength))...Double(1 + strength)))
        }
        // Always the same number of draws, so a zero strength does not shift later ones.
        let factors = (factor(brightness), factor(contrast), factor(saturation))
        var order = [0, 1, 2]
        generator.shuffle(&order)
        for operation in order {
            switch operation {
            case 0: image.adjustBrightness(by: factors.0)
            case 1: image.adjustContrast(by: factors.1)
            default: image.adjustSaturation(by: factors.2)
            }
        }
    }
}

/// Random erasing (Zhong et al., 2017): with `probability`, a rectangle covering a random
/// fraction `scale` of the image with aspect ratio log-uniform in `aspectRatio` is filled
/// with random noise.
public struct RandomErasing: Sendable, Equatable, Codable {
    public var probability: Double
    public var scale: ClosedRange<Double>
    public var aspectRatio: ClosedRange<Double>

    public init(probability: Double = 0.25, scale: ClosedRange<Double> = 0.02...0.25,
                aspectRatio: ClosedRange<Double> = 0.3...3.3) {
        precondition((0...1).contains(probability) && scale.lowerBound > 0 && scale.upperBound <= 1
                     && aspectRatio.lowerBound > 0)
        self.probability = probability
        self.scale = scale
        self.aspectRatio = aspectRatio
    }

    package func apply(to image: inout RGBImage, using generator: inout SplitMix64) {
        guard generator.chance(probability) else { return }
        let area = Double(image.width * image.height)
        let logRatio = log(aspectRatio.lowerBound)...log(aspectRatio.upperBound)
        for _ in 0..<10 {
            let target = area * generator.uniform(scale)
            let aspect = exp(generator.uniform(logRatio))
            let w = Int((target * aspect).squareRoot().rounded())
            let h = Int((target / aspect).squareRoot().rounded())
            if w > 0 && h > 0 && w <= image.width && h <= image.height {
                let x = generator.nextIndex(below: image.width - w + 1)
                let y = generator.nextIndex(below: image.height - h + 1)
                image.erase(PixelRect(x: x, y: y, width: w, height: h), using: &generator)
                return
            }
        }
    }
}

/// Canvas augmentation (Model v2): with `probability`, the transformed photo is shrunk to a
/// random fraction `scale` of the output's sides and pasted at a uniformly random position
/// on a background of the output's size — flat grey of a random level, or uniform RGB noise,
/// half the time each — so that the model learns to find a scene's evidence anywhere in a
/// larger picture and to discount what is not the scene.
public struct CanvasAugmentation: Sendable, Equatable, Codable {
    public var probability: Double
    /// The pasted photo's side as a fraction of the canvas's.
    public var scale: ClosedRange<Double>

    public init(probability: Double = 0.3, scale: ClosedRange<Double> = 0.25...0.75) {
        precondition((0...1).contains(probability) && scale.lowerBound > 0 && scale.upperBound <= 1,
                     "canvas probability must lie in [0, 1] and its scale in (0, 1]")
        self.probability = probability
        self.scale = scale
    }

    /// The photo on a canvas, or `nil` when this photo is not drawn for one.
    package func apply(to image: RGBImage, using generator: inout SplitMix64) -> RGBImage? {
        guard generator.chance(probability) else { return nil }
        let fraction = generator.uniform(scale)
        let width = max(1, Int((Double(image.width) * fraction).rounded()))
        let height = max(1, Int((Double(image.height) * fraction).rounded()))
        let photo = Resampler.resize(image, width: width, height: height)
        var canvas: RGBImage
        if generator.chance(0.5) {
            let level = UInt8(generator.nextIndex(below: 256))
            canvas = RGBImage(width: image.width, height: image.height, filledWith: (level, level, level))
        } else {
            canvas = RGBImage.noise(width: image.width, height: image.height, using: &generator)
        }
        canvas.paste(photo, x: generator.nextIndex(below: image.width - width + 1),
                     y: generator.nextIndex(below: image.height - height + 1))
        return canvas
    }
}

/// Crops that the resize enlarges by an exact whole factor `k` (2×, 3×, 4×, …): each output
/// patch then holds the same bilinear interpolation pattern, a texture that a photo read
/// natively after a 2×, 4× or 8× upscale shows and random crops almost never do. Measured
/// on Model v2 trained without it: 600-px reads (4×) fell to 72.7% where 608 px gave 86.9%.
public struct IntegerZoom: Sendable, Equatable, Codable {
    /// Share of crops drawn this way instead of by the random resized crop.
    public var probability: Double

    public init(probability: Double) {
        precondition((0...1).contains(probability), "integer zoom probability must lie in [0, 1]")
        self.probability = probability
    }

    /// A `width/k × height/k` crop at a random place, `k` in 2...8 (8×: a 150-px photo read
    /// at 1,200 px) a common divisor of the output sides for which the crop fits the image;
    /// nil when there is none (or by chance).
    package func rect(imageWidth: Int, imageHeight: Int, width: Int, height: Int,
                      using generator: inout SplitMix64) -> PixelRect? {
        guard generator.chance(probability) else { return nil }
        let factors = (2...8).filter { k in
            width % k == 0 && height % k == 0 && width / k <= imageWidth && height / k <= imageHeight
        }
        guard !factors.isEmpty else { return nil }
        let k = factors[generator.nextIndex(below: factors.count)]
        let w = width / k, h = height / k
        return PixelRect(x: generator.nextIndex(below: imageWidth - w + 1),
                         y: generator.nextIndex(below: imageHeight - h + 1), width: w, height: h)
    }
}

/// The training transform of one photo: random resized crop (or an integer zoom) → resize to the batch's size
/// (area average down, bilinear up) → horizontal flip → colour jitter → random erasing →
/// canvas.
/// Everything random comes from one `SplitMix64` seeded per sample, so a seed gives the
/// same pixels on every run and thread.
public struct TrainingAugmentation: Sendable, Equatable, Codable {
    /// `nil`: the whole photo is resized (no crop).
    public var crop: RandomResizedCrop?
    public var flipProbability: Double
    public var colorJitter: ColorJitter
    /// `nil`: no erasing.
    public var erasing: RandomErasing?
    /// `nil`: never on a canvas (and runs saved before this setting existed decode so).
    public var canvas: CanvasAugmentation?
    /// `nil`: crops by `crop` only.
    public var integerZoom: IntegerZoom?

    public init(crop: RandomResizedCrop? = RandomResizedCrop(), flipProbability: Double = 0.5,
                colorJitter: ColorJitter = ColorJitter(), erasing: RandomErasing? = nil,
                canvas: CanvasAugmentation? = nil, integerZoom: IntegerZoom? = nil) {
        precondition((0...1).contains(flipProbability))
        self.crop = crop
        self.flipProbability = flipProbability
        self.colorJitter = colorJitter
        self.erasing = erasing
        self.canvas = canvas
        self.integerZoom = integerZoom
    }

    /// No randomness at all: the whole photo resized.
    public static let identity = TrainingAugmentation(crop: nil, flipProbability: 0, colorJitter: .none)

    public func apply(to image: RGBImage, width: Int, height: Int, seed: UInt64) -> RGBImage {
        views(of: image, width: width, height: height, seed: seed).input
    }

    /// The model's input and, when the canvas pasted the photo, the photo before pasting:
    /// what a teacher should read, since a canvas is a test for the student, not for it
    /// (a v1 teacher reads a small photo on a canvas near chance, and would teach that).
    public func views(of image: RGBImage, width: Int, height: Int,
                      seed: UInt64) -> (input: RGBImage, photoBeforeCanvas: RGBImage?) {
        var generator = SplitMix64(seed: seed)
        var source = image
        if let rect = integerZoom?.rect(imageWidth: image.width, imageHeight: image.height, width: width,
                                        height: height, using: &generator) {
            source = image.cropped(to: rect)
        } else if let crop {
            let rect = crop.rect(width: image.width, height: image.height,
                                 outputAspect: Double(width) / Double(height), using: &generator)
            source = image.cropped(to: rect)
        }
        var out = Resampler.resize(source, width: width, height: height)
        if generator.chance(flipProbability) { out.flipHorizontally() }
        colorJitter.apply(to: &out, using: &generator)
        erasing?.apply(to: &out, using: &generator)
        guard let pasted = canvas?.apply(to: out, using: &generator) else { return (out, nil) }
        return (pasted, out)
    }
}

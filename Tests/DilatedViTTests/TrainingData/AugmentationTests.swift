import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct AugmentationTests {
    static let photo = SyntheticImageFolder.image(label: 2, index: 5, width: 40, height: 30)

    @Test func flipIsAnExactMirror() {
        let flipped = Self.photo.flippedHorizontally()
        for y in 0..<Self.photo.height {
            for x in 0..<Self.photo.width {
                #expect(flipped[x, y] == Self.photo[Self.photo.width - 1 - x, y])
            }
        }
        #expect(flipped.flippedHorizontally() == Self.photo)
        let odd = RGBImage(width: 3, height: 1, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(odd.flippedHorizontally().pixels == [7, 8, 9, 4, 5, 6, 1, 2, 3])
    }

    @Test func cropCopiesTheRectangle() {
        let rect = PixelRect(x: 3, y: 4, width: 10, height: 7)
        let crop = Self.photo.cropped(to: rect)
        #expect(crop.width == 10 && crop.height == 7)
        for y in 0..<7 {
            for x in 0..<10 { #expect(crop[x, y] == Self.photo[x + 3, y + 4]) }
        }
        #expect(Self.photo.cropped(to: PixelRect(x: 0, y: 0, width: 40, height: 30)) == Self.photo)
    }

    @Test func randomResizedCropStaysInsideTheImageAndTheScaleRange() {
        let crop = RandomResizedCrop(scale: 0.35...1, aspectRatio: (3.0 / 4)...(4.0 / 3))
        var areas: [Double] = []
        for seed in 0..<500 as Range<UInt64> {
            var generator = SplitMix64(seed: seed)
            let rect = crop.rect(width: 150, height: 120, using: &generator)
            #expect(rect.x >= 0 && rect.y >= 0 && rect.width > 0 && rect.height > 0)
            #expect(rect.x + rect.width <= 150 && rect.y + rect.height <= 120)
            let fraction = Double(rect.area) / Double(150 * 120)
            // Rounding each side to whole pixels moves the area by under a pixel row/column.
            #expect(fraction >= 0.35 - 0.02 && fraction <= 1, "seed \(seed): \(rect)")
            let aspect = Double(rect.width) / Double(rect.height)
            #expect(aspect >= 0.75 * 0.95 && aspect <= 4.0 / 3 * 1.05, "seed \(seed): \(rect)")
            areas.append(fraction)
        }
        // The draws spread over the range rather than sticking to one end.
        #expect(areas.min()! < 0.45 && areas.max()! > 0.9)
    }

    @Test func randomResizedCropFollowsTheOutputAspectAndFallsBackToACentredCrop() {
        var generator = SplitMix64(seed: 1)
        let wide = RandomResizedCrop(scale: 1...1, aspectRatio: 1...1)
            .rect(width: 200, height: 100, outputAspect: 2, using: &generator)
        #expect(wide == PixelRect(x: 0, y: 0, width: 200, height: 100))
        // A 1:1 crop of all of a 2:1 image cannot exist: ten tries fail, the centred square wins.
        let square = RandomResizedCrop(scale: 1...1, aspectRatio: 1...1)
            .rect(width: 200, height: 100, using: &generator)
        #expect(square == PixelRect(x: 50, y: 0, width: 100, height: 100))
    }

    @Test func zeroStrengthJitterIsTheIdentity() {
        var image = Self.photo
        var generator = SplitMix64(seed: 9)
        ColorJitter.none.apply(to: &image, using: &generator)
        #expect(image == Self.photo)
        image.adjustBrightness(by: 1)
        image.adjustContrast(by: 1)
        image.adjustSaturation(by: 1)
        #expect(image == Self.photo)
    }

    @Test func colourOperationsMatchTheirDefinitions() {
        var dark = Self.photo
        dark.adjustBrightness(by: 0.5)
        #expect(zip(dark.pixels, Self.photo.pixels).allSatisfy { $0 == UInt8((Float($1) * 0.5).rounded()) })

        var grey = Self.photo
        grey.adjustSaturation(by: 0)
        for y in 0..<grey.height {
            for x in 0..<grey.width {
                let (r, g, b) = grey[x, y]
                let source = Self.photo[x, y]
                let luma: Float = 0.299 * Float(source.r) + 0.587 * Float(source.g) + 0.114 * Float(source.b)
                #expect(r == g && g == b && r == UInt8(luma.rounded()))
            }
        }

        var flat = Self.photo
        flat.adjustContrast(by: 0)
        #expect(Set(flat.pixels).count == 1)
        var strong = Self.photo
        strong.adjustContrast(by: 1.5)
        let spread = { (i: RGBImage) in Int(i.pixels.max()!) - Int(i.pixels.min()!) }
        #expect(spread(strong) > spread(Self.photo))
    }

    @Test func erasingFillsOneRectangleWithNoise() {
        var image = RGBImage(width: 50, height: 40, filledWith: (128, 128, 128))
        var generator = SplitMix64(seed: 4)
        RandomErasing(probability: 1, scale: 0.1...0.1, aspectRatio: 1...1).apply(to: &image, using: &generator)
        var changed: [(Int, Int)] = []
        for y in 0..<40 {
            for x in 0..<50 where image[x, y] != (128, 128, 128) { changed.append((x, y)) }
        }
        let xs = changed.map(\.0), ys = changed.map(\.1)
        // A 14×14 square (√(0.1·2000) ≈ 14.1); a noise pixel equal to the grey is unlikely but possible.
        #expect(xs.max()! - xs.min()! == 13 && ys.max()! - ys.min()! == 13)
        #expect(changed.count >= 190 && changed.count <= 196)

        var untouched = Self.photo
        RandomErasing(probability: 0).apply(to: &untouched, using: &generator)
        #expect(untouched == Self.photo)
    }

    @Test func trainingAugmentationIsAFunctionOfTheSeed() {
        let augmentation = TrainingAugmentation(erasing: RandomErasing(probability: 0.5))
        let a = augmentation.apply(to: Self.photo, width: 24, height: 16, seed: 11)
        #expect(a.width == 24 && a.height == 16)
        #expect(augmentation.apply(to: Self.photo, width: 24, height: 16, seed: 11) == a)
        let others = (12..<20 as Range<UInt64>).map { augmentation.apply(to: Self.photo, width: 24, height: 16, seed: $0) }
        #expect(others.allSatisfy { $0 != a })
    }

    /// Teachers read the photo as the student's augmentation left it before the canvas:
    /// the same crop, flip and jitter (the canvas draws last), not on the canvas.
    @Test func teachersViewIsThePhotoBeforeTheCanvas() {
        let plain = TrainingAugmentation(erasing: RandomErasing(probability: 0.5))
        var onCanvas = plain
        onCanvas.canvas = CanvasAugmentation(probability: 1, scale: 0.25...0.5)
        for seed in 0..<6 as Range<UInt64> {
            let views = onCanvas.views(of: Self.photo, width: 24, height: 16, seed: seed)
            #expect(views.photoBeforeCanvas == plain.apply(to: Self.photo, width: 24, height: 16, seed: seed))
            #expect(views.input != views.photoBeforeCanvas && views.input.width == 24 && views.input.height == 16)
            #expect(plain.views(of: Self.photo, width: 24, height: 16, seed: seed).photoBeforeCanvas == nil)
        }
    }

    @Test func identityAugmentationIsAPlainResize() {
        let resized = TrainingAugmentation.identity.apply(to: Self.photo, width: 16, height: 24, seed: 3)
        #expect(resized == Resampler.resize(Self.photo, width: 16, height: 24))
    }

    /// The canvas holds the photo, shrunk, exactly once at some place, and a grey or noise
    /// background elsewhere.
    @Test func canvasPastesTheShrunkPhotoOnABackground() {
        let photo = RGBImage(width: 40, height: 40, filledWith: (250, 10, 10))
        var kinds = Set<String>()
        for seed in 0..<40 as Range<UInt64> {
            var generator = SplitMix64(seed: seed)
            let out = CanvasAugmentation(probability: 1, scale: 0.25...0.5).apply(to: photo, using: &generator)!
            #expect(out.width == 40 && out.height == 40)
            var red: [(Int, Int)] = []
            for y in 0..<40 { for x in 0..<40 where out[x, y] == (250, 10, 10) { red.append((x, y)) } }
            let xs = red.map(\.0), ys = red.map(\.1)
            let side = xs.max()! - xs.min()! + 1
            // One solid square of 10…20 pixels a side (noise hitting the exact red is negligible).
            #expect((10...20).contains(side) && ys.max()! - ys.min()! + 1 == side && red.count == side * side)
            let corner = xs.min()! > 0 ? out[0, 0] : out[39, 39]
            kinds.insert(corner.0 == corner.1 && corner.1 == corner.2 ? "grey" : "noise")
        }
        #expect(kinds == ["grey", "noise"])
        var generator = SplitMix64(seed: 1)
        #expect(CanvasAugmentation(probability: 0).apply(to: photo, using: &generator) == nil)
    }

    /// Integer zoom: crops of exactly output/k pixels, k in 2...8 dividing both output sides
    /// and fitting the photo, anywhere in it; every allowed k is drawn; none when nothing fits.
    @Test func integerZoomCropsAWholeFractionOfTheOutput() {
        var factors = Set<Int>()
        for seed in 0..<200 as Range<UInt64> {
            var generator = SplitMix64(seed: seed)
            guard let rect = IntegerZoom(probability: 1).rect(imageWidth: 150, imageHeight: 140, width: 512,
                                                              height: 384, using: &generator) else {
                Issue.record("no crop for seed \(seed)"); continue
            }
            let k = 512 / rect.width
            #expect(rect.width * k == 512 && rect.height * k == 384)
            #expect(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= 150 && rect.y + rect.height <= 140)
            factors.insert(k)
        }
        // 512×384 over a 150×140 photo: k must divide 128 and leave ≤ 150×140, so 4 or 8.
        #expect(factors == [4, 8])
        var generator = SplitMix64(seed: 1)
        #expect(IntegerZoom(probability: 1).rect(imageWidth: 10, imageHeight: 10, width: 512, height: 512,
                                                 using: &generator) == nil)
        #expect(IntegerZoom(probability: 0).rect(imageWidth: 150, imageHeight: 150, width: 64, height: 64,
                                                 using: &generator) == nil)
        // Through the whole transform: the output is some crop of 8, 4 or 2 px resized by 2, 4 or 8.
        let zoom = TrainingAugmentation(crop: nil, flipProbability: 0, colorJitter: .none, integerZoom: IntegerZoom(probability: 1))
        let photo = RGBImage(width: 12, height: 12, pixels: (0..<432).map { UInt8(($0 * 7) % 256) })
        let out = zoom.apply(to: photo, width: 16, height: 16, seed: 5)
        #expect(out.width == 16 && out.height == 16)
        let crops = [8, 4, 2].flatMap { side in
            (0...12 - side).flatMap { y in (0...12 - side).map { x in PixelRect(x: x, y: y, width: side, height: side) } }
        }
        #expect(crops.contains { Resampler.resize(photo.cropped(to: $0), width: 16, height: 16) == out })
    }
}

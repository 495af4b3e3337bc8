import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct RenderingTests {
    @Test func infernoRunsFromNearBlackToPaleYellowGettingLighter() {
        let low = ColorMap.inferno.color(at: 0), high = ColorMap.inferno.color(at: 1)
        #expect(max(low.red, low.green, low.blue) <= 8)
        #expect(high.red >= 245 && high.green >= 245 && (150...180).contains(high.blue))
        func luma(_ c: RGBColor) -> Double { 0.2126 * Double(c.red) + 0.7152 * Double(c.green) + 0.0722 * Double(c.blue) }
        let samples = stride(from: Float(0), through: 1, by: 0.05).map { luma(ColorMap.inferno.color(at: $0)) }
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0 < $1 })
        #expect(ColorMap.inferno.color(at: -3) == low && ColorMap.inferno.color(at: .nan) == low)
        #expect(ColorMap.inferno.color(at: 7) == high)
    }

    @Test func turboRunsFromDarkThroughBlueAndGreenToRed() {
        let low = ColorMap.turbo.color(at: 0), high = ColorMap.turbo.color(at: 1)
        #expect(max(low.red, low.green, low.blue) < 60)
        let blue = ColorMap.turbo.color(at: 0.1), green = ColorMap.turbo.color(at: 0.5)
        #expect(blue.blue > 2 * blue.red && green.green > 200)
        #expect(high.red > 100 && high.red > 3 * max(high.green, high.blue))
    }

    @Test func heatMapRendersAtTheRequestedSizeWithItsEndpointColours() {
        let map = HeatMap(rows: 1, columns: 2, values: [0, 1])
        let image = map.rendered(width: 40, height: 10)
        #expect(image.width == 40 && image.height == 10)
        let left = image[0, 5], right = image[39, 5], middle = image[20, 5]
        let black = ColorMap.inferno.color(at: 0), yellow = ColorMap.inferno.color(at: 1)
        #expect(left == (black.red, black.green, black.blue))
        #expect(right == (yellow.red, yellow.green, yellow.blue))
        // Bilinear between the cell centres: x = 20 sits just past halfway.
        let halfway = ColorMap.inferno.color(at: map.value(x: 20, y: 5, width: 40, height: 10))
        #expect(middle == (halfway.red, halfway.green, halfway.blue))
        #expect(abs(map.value(x: 20, y: 5, width: 40, height: 10) - 0.525) < 1e-5)

        let blocks = map.rendered(width: 40, height: 10, interpolation: .nearest)
        #expect(blocks[19, 0] == left && blocks[20, 0] == right)
    }

    @Test func blendingMixesPhotoAndHeatByAlpha() {
        let photo = RGBImage(width: 8, height: 6, filledWith: (200, 100, 50))
        let map = HeatMap(rows: 2, columns: 2, values: [0, 0.3, 0.6, 1])
        #expect(map.blended(over: photo, alpha: 0) == photo)
        #expect(map.blended(over: photo, alpha: 1) == map.rendered(width: 8, height: 6))
        let half = map.blended(over: photo, alpha: 0.5)
        let heat = map.rendered(width: 8, height: 6)
        #expect(half.pixels.indices.allSatisfy {
            abs(Int(half.pixels[$0]) - (Int(photo.pixels[$0]) + Int(heat.pixels[$0])) / 2) <= 1
        })
    }

    @Test func labelsDrawOnlyInsideTheirBox() {
        let grey = RGBImage(width: 120, height: 40, filledWith: (128, 128, 128))
        var image = grey
        let box = image.drawLabel("forest 87.3%", x: 5, y: 4, scale: 1)
        let size = RGBImage.labelSize(of: "forest 87.3%", scale: 1)
        #expect(box == PixelRect(x: 5, y: 4, width: size.width, height: size.height))
        var ink = 0
        for y in 0..<image.height {
            for x in 0..<image.width where image[x, y] != grey[x, y] {
                #expect((box.x..<box.x + box.width).contains(x) && (box.y..<box.y + box.height).contains(y))
                if image[x, y] == (255, 255, 255) { ink += 1 }
            }
        }
        #expect(ink > 60)

        // Clipped at the image edge, without trapping.
        var small = RGBImage(width: 20, height: 8, filledWith: (0, 0, 0))
        let clipped = small.drawLabel("glacier", x: 10, y: 2, scale: 2)
        #expect(clipped == PixelRect(x: 10, y: 2, width: 10, height: 6))
    }

    @Test func theFontCoversLabelsAndNumbers() {
        let needed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%.- "
        #expect(needed.allSatisfy(BitmapFont.hasGlyph(for:)))
        #expect(BitmapFont.glyph(for: "€") == BitmapFont.glyph(for: "?"))
        #expect(BitmapFont.glyph(for: " ").allSatisfy { $0 == 0 })
        #expect(BitmapFont.glyph(for: "I") == [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110])
        #expect(BitmapFont.width(of: "ab") == 11)
    }
}

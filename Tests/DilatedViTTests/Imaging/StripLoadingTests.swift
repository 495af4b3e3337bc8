import Foundation
import Testing
@testable import DilatedViT

/// A rank of a sequence-parallel read loads only its patch rows, and they are exactly those
/// rows of the whole photo's grid (`PhotoLoader.load(_:plan:patchRows:)`).
@Suite struct StripLoadingTests {
    static let image = Fixtures.smoothImage(width: 1003, height: 701)

    static func photos() -> [(String, [UInt8])] {
        var exif = Fixtures.JPEGOptions()
        exif.app1 = Fixtures.exifSegment(orientation: 6)  // turned: decoded whole, then cut
        var cmyk = Fixtures.JPEGOptions()
        cmyk.adobeMarker = true
        let inks = (0..<200 * 150 * 4).map { UInt8(truncatingIfNeeded: $0 * 7 % 251) }
        return [("JPEG", Fixtures.jpeg(image)),
                ("JPEG turned by EXIF", Fixtures.jpeg(image, exif)),
                ("CMYK JPEG", Fixtures.jpeg(width: 200, height: 150, components: 4, pixels: inks, cmyk)),
                ("PNG", Fixtures.png(width: image.width, height: image.height, samples: image.pixels,
                                     .init(colorType: 2, bitDepth: 8)))]
    }

    // Native (no resize across), a budget read from a DCT-scaled JPEG (1/2 here), an upscale.
    @Test(arguments: [(0, false), (1500, false), (20_000, true)])
    func stripsAreTheWholeGridsRows(maxTokens: Int, upscale: Bool) throws {
        for (name, bytes) in Self.photos() {
            let loader = PhotoLoader(patchSize: 8, maxTokens: maxTokens, allowsUpscaling: upscale)
            let plan = try loader.plan(for: bytes)
            let whole = try loader.load(bytes, plan: plan).grid
            for ranks in [2, 7] {
                let strips = GridStrips(gridRows: whole.rows, gridColumns: whole.columns, ranks: ranks)
                for rank in 0..<ranks {
                    let rows = strips.rows(of: rank)
                    let strip = try loader.load(bytes, plan: plan, patchRows: rows)
                    #expect(strip.grid == whole.rows(rows), "\(name), \(maxTokens) tokens, rank \(rank) of \(ranks)")
                    #expect(strip.resolution == plan.resolution && strip.jpegScaleDenominator == plan.jpegScaleDenominator)
                }
            }
        }
    }

    /// A JPEG cut short inside a strip's rows is an error for that strip; a strip above the
    /// cut decodes (decoding stops below its rows).
    @Test func aTruncatedJPEGFailsOnlyTheStripsThatReachTheCut() throws {
        let bytes = Fixtures.jpeg(Self.image)
        let cut = Array(bytes.prefix(bytes.count * 2 / 3))
        let loader = PhotoLoader(patchSize: 8, maxTokens: 0)
        let plan = try loader.plan(for: cut)
        #expect(throws: ImageDecodingError.self) { try loader.load(cut, plan: plan, patchRows: 80..<87) }
        let top = try loader.load(cut, plan: plan, patchRows: 0..<10)
        #expect(top.grid == (try loader.load(bytes, plan: plan)).grid.rows(0..<10))
    }
}

import DilatedViT
import Foundation
import Testing

@Suite struct MirrorAverageCommandTests {
    static let weights = "Tests/DilatedViTTests/Fixtures/reference/grid7x13"

    @Test func classifyAveragesThePhotoWithItsMirrorImage() throws {
        let scratch = try ScratchDirectory()
        // 9×5 patches of 4, read at their own size (--max-tokens 0) so nothing is resampled.
        let photo = RGBImage(width: 36, height: 20, pixels: (0..<(36 * 20 * 3)).map { UInt8($0 * 37 % 251) })
        let mirror = photo.flippedHorizontally()
        try Data(try ImageEncoder.png(photo)).write(to: URL(fileURLWithPath: scratch.path("photo.png")))
        try Data(try ImageEncoder.png(mirror)).write(to: URL(fileURLWithPath: scratch.path("mirror.png")))

        func probabilities(_ extra: [String], _ file: String) throws -> [String: Double] {
            let result = try DVitProcess.run(["classify", "--json", "--weights", Self.weights, "--max-tokens", "0",
                                              "--precision", "fp32", "--top", "3"] + extra + [scratch.path(file)])
            #expect(result.status == 0, "\(result.standardError)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
            let labels = try #require(object["labels"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: labels.map { ($0["label"] as! String, $0["probability"] as! Double) })
        }
        let plain = try probabilities([], "photo.png")
        let mirrored = try probabilities([], "mirror.png")
        let averaged = try probabilities(["--mirror-average"], "photo.png")
        for (label, p) in averaged {
            #expect(abs(p - (plain[label]! + mirrored[label]!) / 2) < 1e-5, "\(label)")
        }
        #expect(plain.contains { abs($0.value - mirrored[$0.key]!) > 1e-4 })
    }
}

import DilatedViT
import Foundation
import Testing

@Suite struct ExplainCommandTests {
    static let weights = "Tests/DilatedViTTests/Fixtures/reference/grid7x13"

    @Test func writesACaptionedHeatMapAndNamesTheLabel() throws {
        let scratch = try ScratchDirectory()
        let output = scratch.path("map.png")
        let result = try DVitProcess.run(["explain", "--weights", Self.weights, "--max-tokens", "96",
                                          "images/sea-pier-small.png", "-o", output])
        #expect(result.status == 0, "\(result.standardError)")
        let line = try #require(result.outputLines.first)
        #expect(line.hasPrefix("images/sea-pier-small.png  "))
        #expect(["buildings", "forest", "glacier"].contains(String(line.split(separator: " ")[1])))
        let image = try ImageDecoder.decode(contentsOf: output)
        #expect(image.width == 512 && image.height == 320)  // 240×150 enlarged to a 512-pixel long side
        #expect(line.hasSuffix("→ \(output) 512×320"))
        // The caption box sits in the top-left corner: dark with white ink.
        #expect(image[5, 5] == (20, 20, 20))
    }

    @Test func explainsAnotherClassOnRequest() throws {
        let scratch = try ScratchDirectory()
        let output = scratch.path("forest.png")
        let result = try DVitProcess.run(["explain", "--weights", Self.weights, "--max-tokens", "64", "--class", "forest",
                                          "--colormap", "turbo", "--alpha", "1", "images/sea-pier-small.png", "-o", output])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("  forest 0."))
        #expect(try ImageDecoder.decode(contentsOf: output).width == 512)
    }

    @Test func rejectsUnknownClassesAndBadAlphaAndReportsUnreadablePhotos() throws {
        let scratch = try ScratchDirectory()
        let output = scratch.path("x.png")
        #expect(try DVitProcess.run(["explain", "--weights", Self.weights, "--class", "ocean",
                                     "images/sea-pier-small.png", "-o", output]).status == 2)
        #expect(try DVitProcess.run(["explain", "--weights", Self.weights, "--alpha", "1.5",
                                     "images/sea-pier-small.png", "-o", output]).status == 2)
        #expect(try DVitProcess.run(["explain", "--weights", Self.weights, "images/sea-pier-small.png"]).status == 2)
        let missing = try DVitProcess.run(["explain", "--weights", Self.weights, "images/missing.png", "-o", output])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("dvit: images/missing.png"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}

@Suite struct ProbePositionCommandTests {
    @Test func tablesCoverEveryPositionForBothModes() throws {
        let scratch = try ScratchDirectory()
        let output = scratch.path("positions.png")
        let result = try DVitProcess.run(["probe-position", "--weights", ExplainCommandTests.weights,
                                          "--photo", "images/forest-path.jpg", "--label", "forest",
                                          "--canvas-size", "48", "--photo-size", "16", "--grid", "3",
                                          "--canvas", "noise", "--dense-too", "--dense-grid", "1", "-o", output])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.outputLines.map(String.init)
        #expect(lines.first == "dilated: 3×3 positions on a 48 px noise canvas, 16 px photo, 1 photo(s), 12×12 tokens")
        // Rows of the probability table: offset label, then one probability per column.
        let rows = lines.filter { $0.hasPrefix("   0%") || $0.hasPrefix("  50%") || $0.hasPrefix(" 100%") }
        let probabilities = rows.prefix(3).map { $0.split(separator: " ").dropFirst().compactMap { Float($0) } }
        #expect(probabilities.count == 3 && probabilities.allSatisfy { $0.count == 3 && $0.allSatisfy { (0...1).contains($0) } })
        #expect(lines.contains { $0.hasPrefix("dilated: mean probability ") && $0.contains("interior") })
        #expect(lines.contains { $0.hasPrefix("dense: 1×1 positions") })
        #expect(lines.contains { $0.hasPrefix("dense: mean probability ") })
        #expect(lines.last == "wrote \(output)")
        let image = try ImageDecoder.decode(contentsOf: output)
        #expect(image.width > 3 * 96 && image.height > 3 * 96)

        // Deterministic: the same run prints the same tables.
        let again = try DVitProcess.run(["probe-position", "--weights", ExplainCommandTests.weights,
                                         "--photo", "images/forest-path.jpg", "--label", "forest",
                                         "--canvas-size", "48", "--photo-size", "16", "--grid", "3", "--canvas", "noise"])
        #expect(again.outputLines.map(String.init) == Array(lines.prefix(again.outputLines.count)))
    }

    @Test func listingsAndUsageErrors() throws {
        let scratch = try ScratchDirectory()
        let listing = scratch.path("validation.txt")
        try "# held out\nforest/forest-path.jpg\nglacier/mountain-sunset.jpg\n".write(toFile: listing, atomically: true, encoding: .utf8)
        // The listing's paths are label/file under --data: lay the repository's photos out so.
        for (label, file) in [("forest", "forest-path.jpg"), ("glacier", "mountain-sunset.jpg")] {
            try FileManager.default.createDirectory(atPath: scratch.path(label), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: DVitProcess.repositoryRoot.appendingPathComponent("images/\(file)").path,
                                             toPath: scratch.path("\(label)/\(file)"))
        }
        let result = try DVitProcess.run(["probe-position", "--weights", ExplainCommandTests.weights,
                                          "--data", scratch.url.path, "--listing", listing,
                                          "--canvas-size", "32", "--photo-size", "16", "--grid", "2"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("2×2 positions on a 32 px grey canvas, 16 px photo, 2 photo(s)"))

        let weights = ExplainCommandTests.weights
        for arguments in [["--photo", "images/forest-path.jpg"],                                  // no label
                          ["--photo", "images/forest-path.jpg", "--label", "ocean"],               // unknown label
                          ["--photo", "images/forest-path.jpg", "--label", "forest", "--canvas-size", "30"],  // not patches
                          ["--photo", "images/forest-path.jpg", "--label", "forest", "--photo-size", "2000"]] {
            #expect(try DVitProcess.run(["probe-position", "--weights", weights] + arguments).status == 2, "\(arguments)")
        }
    }
}

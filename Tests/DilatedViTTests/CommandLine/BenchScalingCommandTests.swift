import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The reference model: patch 4, labels buildings, forest, glacier.
private let fixtureWeights = "Tests/DilatedViTTests/Fixtures/reference/grid7x13"

@Suite struct BenchScalingCommandTests {
    /// Two 40×32 photos per label of the fixture model (natively 10×8 = 80 tokens at patch 4),
    /// and one file that is not a photo.
    private static func folder() throws -> SyntheticImageFolder {
        let folder = try SyntheticImageFolder(counts: ["buildings": 2, "forest": 2, "glacier": 2])
        try folder.write(Array("not a photo".utf8), to: "forest/broken.jpg")
        return folder
    }

    @Test func printsARowPerBudgetAndModeAndWritesTheDocumentedCSVAndPlot() throws {
        let folder = try Self.folder()
        defer { folder.remove() }
        let scratch = try ScratchDirectory()
        let (csv, svg) = (scratch.path("s.csv"), scratch.path("s.svg"))
        let result = try DVitProcess.run(["bench", "scaling", "--weights", fixtureWeights, "--data", folder.root,
                                          "--budgets", "16,0", "--dense-max-tokens", "64", "--precision", "fp32",
                                          "--csv", csv, "--svg", svg])
        // The broken photo: one line naming it (not one per row), not counted, exit status 1.
        #expect(result.status == 1, "\(result.standardError)")
        let broken = result.errorLines.filter { $0.contains("broken.jpg") }
        #expect(broken.count == 1 && broken[0].hasPrefix("dvit: \(folder.root)/forest/broken.jpg: "))

        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "budget,attention,photos,correct,accuracy_pct,mean_tokens,max_tokens,mean_ms,peak_rss_mb,peak_rss_scope,note")
        let rows = lines.dropFirst().dropLast().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.last == "" && rows.allSatisfy { $0.count == 11 })
        #expect(rows.map { "\($0[0]) \($0[1])" } == ["16 dilated", "16 dense", "0 dilated", "0 dense"])
        for row in rows.prefix(3) {
            #expect(row[2] == "6")
            let (correct, accuracy) = (try #require(Int(row[3])), try #require(Double(row[4])))
            #expect(abs(accuracy - 100 * Double(correct) / 6) < 0.01)
            #expect(try #require(Double(row[7])) > 0 && (try #require(Double(row[8]))) > 0 && row[9] == "row")
        }
        // Upscaled to 16 tokens (4×4 or 3×5 of a 5:4 photo); natively 80, above the dense limit.
        #expect(rows[0][5] == rows[1][5] && (12...16).contains(Double(rows[0][5]) ?? 0))
        #expect(rows[2][5] == "80.0" && rows[2][6] == "80")
        #expect(rows[3][2...9].allSatisfy(\.isEmpty) && rows[3][10].hasPrefix("skipped (dense above --dense-max-tokens)"))

        // The table: a header, the four rows, the skipped one saying so.
        let table = result.outputLines.dropFirst()
        #expect(table.count == 5 && table.first?.hasPrefix("budget") == true)
        #expect(table.last?.hasPrefix("native   dense") == true && table.last?.contains("skipped (dense above --dense-max-tokens)") == true)

        // Two panels, each with a dilated path (two points) and a dense one (one point).
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: svg)))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.counts["path"] == 4 && counter.counts["circle"] == 6)
        #expect(counter.texts.contains("accuracy") && counter.texts.contains("ms per photo"))
    }

    @Test func refusesLabelsThatAreNotTheModelsButAcceptsSomeOfThem() throws {
        let folder = try SyntheticImageFolder(counts: ["buildings": 1, "sea": 1])
        defer { folder.remove() }
        let result = try DVitProcess.run(["bench", "scaling", "--weights", fixtureWeights, "--data", folder.root])
        #expect(result.status == 2)
        #expect(result.standardError.contains(#"["sea"] are not among the model's labels ["buildings", "forest", "glacier"]"#),
                "\(result.standardError)")
        let some = try SyntheticImageFolder(counts: ["forest": 2])
        defer { some.remove() }
        let subset = try DVitProcess.run(["bench", "scaling", "--weights", fixtureWeights, "--data", some.root,
                                          "--budgets", "64", "--dense-max-tokens", "0"])
        #expect(subset.status == 0, "\(subset.standardError)")
        #expect(subset.standardOutput.contains("2 photos"), "\(subset.standardOutput)")
    }

    @Test func refusesAMissingFolderAndBadBudgets() throws {
        let missing = try DVitProcess.run(["bench", "scaling", "--weights", fixtureWeights, "--data", "/nonexistent/photos"])
        #expect(missing.status == 2 && missing.standardError.contains("/nonexistent/photos: no such folder"))
        #expect(try DVitProcess.run(["bench", "scaling", "--data", ".", "--budgets", "256,x"]).status == 2)
        #expect(try DVitProcess.run(["bench", "scaling", "--data", ".", "--every", "0"]).status == 2)
    }
}

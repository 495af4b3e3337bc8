import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Counts the elements of an XML document and collects its texts (the bench plots' tests).
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts = [String: Int]()
    var texts = [String]()
    private var inText = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
        inText = name == "text"
        if inText { texts.append("") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        inText = false
    }
}

@Suite struct BenchForwardCommandTests {
    @Test func writesCSVJSONAndAPlotWithOnePathPerSeries() throws {
        let scratch = try ScratchDirectory()
        let (csv, json, svg) = (scratch.path("f.csv"), scratch.path("f.json"), scratch.path("f.svg"))
        // Tiny sizes, one pass: a structure check, not a measurement.
        let result = try DVitProcess.run(["bench", "forward", "--tokens", "16,64", "--repeats", "1",
                                          "--max-dense-tokens", "16", "--csv", csv, "--json", json, "--svg", svg])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.count == 6)
        #expect(result.outputLines.first?.hasPrefix("sgemm reference: ") == true)

        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
            as? [[String: Any]])
        #expect(rows.map { "\($0["mode"]!) \($0["tokens"]!)" } == ["dilated 16", "dense 16", "dilated 64", "dense 64"])
        #expect(rows.prefix(3).allSatisfy { ($0["best_ms"] as? Double).map { $0 > 0 } == true })
        #expect(rows.prefix(3).allSatisfy { ($0["gflops"] as? Double).map { $0 > 0 } == true })
        #expect(rows.allSatisfy { ($0["sgemm_gflops"] as? Double).map { $0 > 0 } == true })
        #expect(rows[3]["best_ms"] is NSNull && (rows[3]["note"] as? String)?.hasPrefix("skipped") == true)
        #expect(try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").count == 5)

        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: svg)))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.counts["svg"] == 1)
        #expect(counter.counts["path"] == 2)       // swift dilated, swift dense
        #expect(counter.counts["circle"] == 3)     // the skipped dense size is left out
        #expect(counter.texts.contains("swift dilated") && counter.texts.contains("swift dense"))
        #expect(counter.texts.contains("tokens per image") && counter.texts.contains("ms per image"))
    }

    @Test func timesAGivenPhotoAtItsOwnAspectRatio() throws {
        let result = try DVitProcess.run(["bench", "forward", "--tokens", "64", "--modes", "dilated", "--repeats", "1",
                                          "--photo", "images/sea-pier-small.png"])
        #expect(result.status == 0)
        // 240×150 within 64 tokens of patch 8: 10 columns × 6 rows.
        #expect(result.outputLines.last?.hasPrefix("swift\tdilated\t60\t6x10\t") == true, "\(result.standardOutput)")
    }

    @Test func timesEachPrecisionAsItsOwnSeries() throws {
        let result = try DVitProcess.run(["bench", "forward", "--tokens", "16,64", "--modes", "dilated",
                                          "--precisions", "fp32,bf16", "--repeats", "1"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.dropFirst(2).map { $0.split(separator: "\t").prefix(3).joined(separator: " ") }
                == ["swift dilated 16", "swift-bf16 dilated 16", "swift dilated 64", "swift-bf16 dilated 64"])
    }

    @Test func attentionBenchmarkReportsAFlopRatePerMode() throws {
        let result = try DVitProcess.run(["bench", "attention", "--tokens", "64,256", "--repeats", "1",
                                          "--max-dense-tokens", "64"])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = result.outputLines.dropFirst().map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.map { "\($0[0]) \($0[1]) \($0[2])" } == ["dilated 64 8x8", "dense 64 8x8", "dilated 256 16x16"])
        #expect(rows.allSatisfy { (Double($0[4]) ?? 0) > 0 })
    }

    @Test func rejectsBadTokenLists() throws {
        #expect(try DVitProcess.run(["bench", "forward", "--tokens", "16,x"]).status == 2)
        #expect(try DVitProcess.run(["bench", "forward", "--quick", "--repeats", "0"]).status == 2)
        #expect(try DVitProcess.run(["bench", "forward", "--modes", "dilated,sparse"]).status == 2)
        #expect(try DVitProcess.run(["bench", "forward", "--precisions", "fp32,fp16"]).status == 2)
    }
}

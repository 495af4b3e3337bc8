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

    /// A stand-in for `--python` (CI has no Python packages): answers bench_onnx.py --probe with the versions in
    /// $FAKE_PROBE, says every ONNX runtime is not installed (exit 3, as bench_onnx.py does) or, with
    /// $FAKE_MISMATCH, that its logits differ (exit 1), and prints a fixed bench_torch.py line.
    private static let fakePython = #"""
        #!/bin/sh
        case "$1 $2" in
          "reference/bench_onnx.py --probe")
            [ -n "$FAKE_PROBE_FAILS" ] && { echo "ModuleNotFoundError: No module named 'json'" >&2; exit 1; }
            echo "$FAKE_PROBE"; exit 0 ;;
          "reference/bench_onnx.py --runtime")
            if [ -n "$FAKE_MISMATCH" ]; then
              echo "{\"impl\": \"$3\", \"error\": \"logits differ from PyTorch: max |Δ| = 3.00e-02 > 1e-04\"}"; exit 1
            fi
            echo "{\"impl\": \"$3\", \"error\": \"$3 not installed in fake (pip install $3)\"}"; exit 3 ;;
          "reference/bench_torch.py --tokens")
            echo '{"impl": "pytorch", "tokens": 16, "rows": 4, "cols": 4, "ms": 5.0, "ms_min": 4.0, "peak_rss_mb": 500.0}'
            exit 0 ;;
        esac
        exit 2
        """#

    private static let probeWithTorchOnly =
        #"{"python": "3.11.0", "torch": "2.5.0", "onnx": null, "onnxruntime": null, "openvino": null}"#

    private func writeFakePython(in scratch: borrowing ScratchDirectory) throws -> String {
        let path = scratch.path("python")
        try Self.fakePython.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    @Test func runtimesThePythonLacksGetOneRowEachAndTheOthersStillRun() throws {
        let scratch = try ScratchDirectory()
        let python = try writeFakePython(in: scratch)
        let result = try DVitProcess.run(["bench", "forward", "--tokens", "16,64", "--modes", "dilated", "--repeats", "1",
                                          "--python", python, "--runtimes", "pytorch,onnxruntime,openvino"],
                                         environment: ["FAKE_PROBE": Self.probeWithTorchOnly])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.outputLines.dropFirst().first == "python: \(python) 3.11.0: torch 2.5.0, onnx —, onnxruntime —, openvino —")
        let rows = result.outputLines.dropFirst(3).map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.map { "\($0[0]) \($0[2])" } == ["swift 16", "pytorch 16", "onnxruntime 16", "openvino 16",
                                                     "openvino-bf16 16", "swift 64", "pytorch 64"])
        #expect(rows[1][4] == "4.0")   // ms_min
        for (row, runtime) in zip(rows[2...4], ["onnxruntime", "openvino", "openvino-bf16"]) {
            #expect(row[4].isEmpty && row.last == "not available: \(runtime) not installed in fake (pip install \(runtime))")
        }
    }

    @Test func aRuntimeWhoseLogitsDifferFromPyTorchFailsItsRow() throws {
        let scratch = try ScratchDirectory()
        let python = try writeFakePython(in: scratch)
        let result = try DVitProcess.run(["bench", "forward", "--tokens", "16,64", "--modes", "dilated", "--repeats", "1",
                                          "--python", python, "--runtimes", "onnxruntime"],
                                         environment: ["FAKE_PROBE": Self.probeWithTorchOnly, "FAKE_MISMATCH": "1"])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = result.outputLines.dropFirst(3).map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.map { "\($0[0]) \($0[2])" } == ["swift 16", "onnxruntime 16", "swift 64", "onnxruntime 64"])
        #expect(rows[1].last == "failed: logits differ from PyTorch: max |Δ| = 3.00e-02 > 1e-04")
    }

    @Test func aMissingOrBrokenPythonIsOneClearError() throws {
        let scratch = try ScratchDirectory()
        let python = try writeFakePython(in: scratch)
        let cases: [(arguments: [String], environment: [String: String], message: String)] = [
            (["--python", scratch.path("no-such-python")], [:], "cannot run it"),
            (["--python", python], ["FAKE_PROBE": #"{"python": "3.11.0", "torch": null}"#], "has no torch"),
            (["--python", python], ["FAKE_PROBE_FAILS": "1"], "No module named 'json'"),
        ]
        for (arguments, environment, message) in cases {
            let result = try DVitProcess.run(["bench", "forward", "--tokens", "16", "--repeats", "1", "--runtimes",
                                              "pytorch,onnxruntime"] + arguments, environment: environment)
            #expect(result.status == 1)
            #expect(result.outputLines.isEmpty, "no timing before the check")
            #expect(result.errorLines.count == 1 && result.standardError.contains(message), "\(result.standardError)")
        }
    }

    /// The real anchors, only where DVIT_TEST_PYTHON names a Python with torch, onnx and onnxruntime.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DVIT_TEST_PYTHON"] != nil))
    func timesOnnxRuntimeOnTheSameModelWhenThePythonHasIt() throws {
        let python = try #require(ProcessInfo.processInfo.environment["DVIT_TEST_PYTHON"])
        let result = try DVitProcess.run(["bench", "forward", "--tokens", "16", "--modes", "dilated", "--repeats", "1",
                                          "--min-seconds", "0", "--python", python, "--runtimes", "onnxruntime"])
        #expect(result.status == 0, "\(result.standardError)")
        let row = try #require(result.outputLines.last?.split(separator: "\t", omittingEmptySubsequences: false))
        #expect(row[0] == "onnxruntime" && row[2] == "16" && (Double(row[4]) ?? 0) > 0, "\(result.standardOutput)")
    }

    @Test func rejectsBadTokenLists() throws {
        #expect(try DVitProcess.run(["bench", "forward", "--tokens", "16,x"]).status == 2)
        #expect(try DVitProcess.run(["bench", "forward", "--quick", "--repeats", "0"]).status == 2)
        #expect(try DVitProcess.run(["bench", "forward", "--modes", "dilated,sparse"]).status == 2)
        #expect(try DVitProcess.run(["bench", "forward", "--precisions", "fp32,fp16"]).status == 2)
        #expect(try DVitProcess.run(["bench", "forward", "--python", "python3", "--runtimes", "pytorch,tensorflow"]).status == 2)
        let noPython = try DVitProcess.run(["bench", "forward", "--runtimes", "onnxruntime"])
        #expect(noPython.status == 2 && noPython.standardError.contains("give --python"), "\(noPython.standardError)")
    }
}

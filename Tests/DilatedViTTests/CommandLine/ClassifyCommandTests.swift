import Foundation
import Testing

/// A small reference model, so these tests neither depend on nor wait for the shipped one.
private let fixtureWeights = "Tests/DilatedViTTests/Fixtures/reference/grid7x13"

@Suite struct ClassifyCommandTests {
    @Test func brokenFilesGetOneErrorLineEachAndTheRestContinue() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage.jpg").path
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: garbage))
        let missing = directory.appendingPathComponent("missing.png").path

        let result = try DVitProcess.run(["classify", "--json", "--weights", fixtureWeights, "images/sea-pier-small.png",
                                          garbage, "images/lake-boats.jpg", missing])
        #expect(result.status == 1)
        let errors = result.errorLines.filter { $0.hasPrefix("dvit: /") }
        #expect(errors.count == 2)
        #expect(errors.contains { $0.contains("garbage.jpg") && $0.contains("not a JPEG or PNG") })
        #expect(errors.contains { $0.contains("missing.png") && $0.contains("No such file") })

        let objects = try result.outputLines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["path"] as? String } == ["images/sea-pier-small.png", "images/lake-boats.jpg"])
        // Patch 4, budget 1024: 240×150 becomes 40×25 patches.
        #expect(objects[0]["working_size"] as? [Int] == [160, 100])
        #expect(objects[1]["original_size"] as? [Int] == [2560, 1600])
        #expect((objects[1]["tokens"] as? Int).map { $0 <= 1024 && $0 > 900 } == true)
        let labels = try #require(objects[0]["labels"] as? [[String: Any]])
        #expect(labels.count == 3 && labels.allSatisfy { ($0["probability"] as? Double).map { (0...1).contains($0) } == true })
    }

    @Test func directoriesAndStandardInputExpandToPhotos() throws {
        let all = try DVitProcess.run(["classify", "--weights", fixtureWeights, "images/"])
        #expect(all.status == 0)
        #expect(all.outputLines.count == 8)
        let piped = try DVitProcess.run(["classify", "--weights", fixtureWeights, "-"],
                                        standardInput: "images/sea-pier.jpg\nimages/forest-path.jpg\n")
        #expect(piped.status == 0)
        #expect(piped.outputLines.map { $0.split(separator: " ").first } == ["images/sea-pier.jpg", "images/forest-path.jpg"])
    }
}

@Suite struct BatchCommandTests {
    private func firstColumn(_ result: DVitProcess.Result) -> [String] {
        result.outputLines.map { String($0.split(separator: " ")[0]) }
    }

    @Test func shardsPartitionTheInputsExactlyOnce() throws {
        let all = firstColumn(try DVitProcess.run(["classify", "--weights", fixtureWeights, "images/"]))
        for count in [2, 3, 5] {
            var seen = [String]()
            for index in 0..<count {
                let shard = try DVitProcess.run(["classify", "--weights", fixtureWeights, "--shard", "\(index)/\(count)", "images/"])
                #expect(shard.status == 0)
                seen += firstColumn(shard)
            }
            #expect(seen.sorted() == all.sorted(), "shards of \(count) must cover each photo once")
        }
    }

    @Test func concurrentPhotosKeepTheInputOrderAndResults() throws {
        let one = try DVitProcess.run(["classify", "--json", "--weights", fixtureWeights, "--threads", "1", "images/"])
        let three = try DVitProcess.run(["classify", "--json", "--weights", fixtureWeights, "--threads", "3", "images/"])
        #expect(one.status == 0 && three.status == 0)
        func withoutTimes(_ result: DVitProcess.Result) throws -> [String] {
            try result.outputLines.map {
                var object = try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                object["milliseconds"] = nil
                return String(decoding: try JSONSerialization.data(withJSONObject: object, options: .sortedKeys), as: UTF8.self)
            }
        }
        #expect(try withoutTimes(one) == withoutTimes(three))
        #expect(one.outputLines.count == 8)
    }

    @Test func usageErrorsExitWithStatusTwo() throws {
        #expect(try DVitProcess.run(["classify", "--shard", "4/4", "images/"]).status == 2)
        #expect(try DVitProcess.run(["classify", "--top", "0", "images/"]).status == 2)
        #expect(try DVitProcess.run(["no-such-command"]).status == 2)
        #expect(try DVitProcess.run(["classify", "--threads", "0", "images/"]).status == 2)
        #expect(try DVitProcess.run(["embed", "--weights", "/nonexistent", "images/"]).status == 2)
    }

    @Test func aMissingModelIsAUsageErrorNamingTheFolder() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let result = try DVitProcess.run(["classify", "--weights", empty.path, "images/sea-pier-small.png"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("no model in \(empty.path)/"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test func theDefaultWeightsComeFromDVitWeightsInAnyFolder() throws {
        let elsewhere = try ScratchDirectory()
        let photo = DVitProcess.repositoryRoot.appendingPathComponent("images/sea-pier-small.png").path
        let fixture = DVitProcess.repositoryRoot.appendingPathComponent(fixtureWeights).path
        let inRepository = try DVitProcess.run(["classify", "--json", "--weights", fixtureWeights, photo])
        #expect(inRepository.status == 0)

        // Outside the repository with DVIT_WEIGHTS: the same model and label line.
        let fromVariable = try DVitProcess.run(["classify", "--json", photo], environment: ["DVIT_WEIGHTS": fixture],
                                               workingDirectory: elsewhere.url)
        #expect(fromVariable.status == 0)
        #expect(labels(fromVariable) == labels(inRepository))

        // --weights wins over the variable.
        let given = try DVitProcess.run(["classify", "--json", "--weights", fixture, photo],
                                        environment: ["DVIT_WEIGHTS": "/nonexistent"], workingDirectory: elsewhere.url)
        #expect(labels(given) == labels(inRepository))

        // Neither, and no weights/ here: a usage error that says how to point at a model.
        let neither = try DVitProcess.run(["classify", photo], environment: ["DVIT_WEIGHTS": ""], workingDirectory: elsewhere.url)
        #expect(neither.status == 2)
        #expect(neither.standardError.contains("no model in weights/"))
        #expect(neither.standardError.contains("DVIT_WEIGHTS"))
    }

    /// A `--json` line's labels and probabilities, without the timing that differs run to run.
    private func labels(_ result: DVitProcess.Result) -> [String]? {
        guard let line = result.outputLines.first,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let labels = object["labels"] as? [[String: Any]] else { return nil }
        return labels.map { "\($0["label"] ?? "?") \($0["probability"] ?? "?")" }
    }

    @Test func embedAndInfoUseTheGivenWeights() throws {
        let weights = fixtureWeights
        let info = try DVitProcess.run(["info", "--weights", weights])
        #expect(info.status == 0)
        #expect(info.standardOutput.contains("parameters     27,139"))
        #expect(info.standardOutput.contains("labels         buildings, forest, glacier"))

        let embed = try DVitProcess.run(["embed", "--weights", weights, "images/sea-pier-small.png", "images/sea-pier.jpg"])
        #expect(embed.status == 0)
        let vectors = try embed.outputLines.map {
            try #require((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["embedding"] as? [Double])
        }
        #expect(vectors.map(\.count) == [32, 32])
        #expect(vectors[0] != vectors[1])

        let classify = try DVitProcess.run(["classify", "--weights", weights, "-k", "2", "images/sea-pier-small.png"])
        #expect(classify.status == 0)
        let fields = classify.standardOutput.split(separator: " ", omittingEmptySubsequences: true)
        #expect(["buildings", "forest", "glacier"].contains(String(fields[1])))
        #expect(fields.count > 4)
    }
}

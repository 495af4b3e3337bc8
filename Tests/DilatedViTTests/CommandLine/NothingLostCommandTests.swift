import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

#if canImport(Glibc)
import Glibc
#endif

/// Issue "Nothing lost, nothing silent", end to end through `dvit`: every write checked,
/// every skipped input named, hostile files refused within seconds, finished results kept
/// on SIGINT/SIGTERM, and the command-line values that used to be misread.
@Suite struct NothingLostCommandTests {
    static let weights = HostileBatchCommandTests.weights

    /// Runs dvit with stdout going to `output` (a path) and returns the exit status and stderr.
    static func run(_ arguments: [String], output: String, standardInput: String? = nil,
                    signal: (number: Int32, after: Double)? = nil) throws -> (status: Int32, reason: Process.TerminationReason, standardError: String) {
        let scratch = try ScratchDirectory()
        let errors = scratch.path("err")
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        try Data((standardInput ?? "").utf8).write(to: URL(fileURLWithPath: scratch.path("in")))
        let process = Process()
        process.executableURL = DVitProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = DVitProcess.repositoryRoot
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: scratch.path("in")))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        if let signal {
            // Once the first result is out (startup can be slow on a busy machine), then a bit more.
            let start = Date()
            while process.isRunning && (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0 == 0
                    && Date().timeIntervalSince(start) < 60 {
                Thread.sleep(forTimeInterval: 0.01)
            }
            Thread.sleep(forTimeInterval: signal.after)
            kill(process.processIdentifier, signal.number)
        }
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, try String(contentsOfFile: errors, encoding: .utf8))
    }

    @Test(arguments: [["classify", "--json"], ["classify"], ["embed"], ["info"]])
    func aFullDiskIsAnErrorNotASilentSuccess(command: [String]) throws {
        let inputs = command == ["info"] ? [] : ["images/sea-pier-small.png"]
        let result = try Self.run(command + ["--weights", Self.weights] + inputs, output: "/dev/full")
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot write the output (No space left on device)"), "\(result.standardError)")
    }

    @Test func embedMatrixWriteErrorsNameTheFile() throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else { return }
        let scratch = try ScratchDirectory()
        let link = scratch.path("vectors.f32")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/full")
        let result = try DVitProcess.run(["embed", "--weights", Self.weights, "--matrix", scratch.path("vectors"),
                                          "images/sea-pier-small.png"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot write \(link) (No space left on device)"), "\(result.standardError)")
    }

    @Test func anImageThatCannotBeWrittenIsOneLineNamingIt() throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else { return }
        let result = try DVitProcess.run(["explain", "--weights", Self.weights, "images/sea-pier-small.png", "-o", "/dev/full"])
        #expect(result.status == 1)
        #expect(result.standardError == "dvit: cannot write /dev/full (No space left on device)\n")
    }

    /// SIGINT and SIGTERM: what is finished is written whole (every line parses), then the
    /// process ends by the signal, as a shell expects.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptKeepsEveryFinishedLineWhole(signal: Int32) throws {
        let scratch = try ScratchDirectory()
        let folder = scratch.path("photos")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for index in 0..<400 {
            try FileManager.default.copyItem(atPath: DVitProcess.repositoryRoot.appendingPathComponent("images/sea-pier-small.png").path,
                                             toPath: "\(folder)/\(String(format: "%03d", index)).png")
        }
        let output = scratch.path("out.jsonl")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let result = try Self.run(["classify", "--json", "--weights", Self.weights, "--threads", "2", folder],
                                  output: output, signal: (signal, 0.5))
        #expect(result.reason == .uncaughtSignal && result.status == signal)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.isEmpty || text.hasSuffix("\n"))
        let paths = try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["path"] as? String
        }
        #expect(!paths.isEmpty && paths.count < 400, "\(paths.count) lines")
        #expect(Set(paths).count == paths.count)
    }

    @Test func devicesFIFOsAndHugeFilesAreOneErrorLineEachAndTheRestAreLabelled() throws {
        let scratch = try ScratchDirectory()
        let fifo = scratch.path("pipe.jpg")
        #expect(mkfifo(fifo, 0o644) == 0)
        let sparse = scratch.path("sparse.jpg")
        try Data(HostileCorpus.jpeg).write(to: URL(fileURLWithPath: sparse))
        #expect(truncate(sparse, 20 << 30) == 0)  // 20 GB, sparse: costs nothing on disk
        // A 30000×30000 JPEG header: read natively it would need ~35 GiB.
        var huge = HostileCorpus.jpeg
        Self.setJPEGSize(width: 30000, height: 30000, in: &huge)
        try Data(huge).write(to: URL(fileURLWithPath: scratch.path("huge.jpg")))
        let clock = ContinuousClock()
        let start = clock.now
        let result = try DVitProcess.run(["classify", "--weights", Self.weights, "--max-tokens", "0", "--memory-limit", "4G",
                                          "/dev/zero", "/dev/urandom", fifo, sparse, scratch.path("huge.jpg"),
                                          "images/sea-pier-small.png"])
        #expect(clock.now - start < .seconds(30))
        #expect(result.status == 1)
        #expect(result.outputLines.count == 1 && result.outputLines[0].hasPrefix("images/sea-pier-small.png "))
        #expect(result.errorLines.prefix(4) == [
            "dvit: /dev/zero: not a photo file: it is a character device",
            "dvit: /dev/urandom: not a photo file: it is a character device",
            "dvit: \(fifo): not a photo file: it is a FIFO (named pipe)",
            "dvit: \(sparse): file too large: 20 GiB exceeds the limit of 2.0 GiB for one photo",
        ])
        #expect(result.errorLines.count == 5 && result.errorLines[4].hasPrefix("dvit: \(scratch.path("huge.jpg")): reading it at "))
        #expect(result.errorLines.last?.hasSuffix("over the limit of 4.0 GiB; lower the token budget (--max-tokens) or raise --memory-limit") == true)
    }

    static func setJPEGSize(width: Int, height: Int, in bytes: inout [UInt8]) {
        var index = 2
        while index + 9 < bytes.count {
            let marker = bytes[index + 1], length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            if (0xC0...0xC2).contains(marker) {
                bytes[index + 5] = UInt8(height >> 8); bytes[index + 6] = UInt8(height & 0xFF)
                bytes[index + 7] = UInt8(width >> 8); bytes[index + 8] = UInt8(width & 0xFF)
                return
            }
            index += 2 + length
        }
        Issue.record("no SOF marker")
    }

    /// Budgets so large that the grid arithmetic used to overflow or allocate 18 GB are
    /// refused by the memory estimate, naming it.
    @Test(arguments: ["1000000000000", "9223372036854775807"])
    func absurdBudgetsAreRefusedByTheEstimate(budget: String) throws {
        let result = try DVitProcess.run(["classify", "--weights", Self.weights, "--upscale", "--max-tokens", budget,
                                          "images/sea-pier-small.png"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("of memory, over the limit of"), "\(result.standardError)")
    }

    @Test func everySkippedInputIsNamedAndFailsTheRun() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.path("root")
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/empty.jpg", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/locked", withIntermediateDirectories: true)
        try Data(HostileCorpus.jpeg).write(to: URL(fileURLWithPath: root + "/photo-without-extension"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: root + "/notes.txt"))
        try Data(HostileCorpus.png).write(to: URL(fileURLWithPath: root + "/sub/b.png"))
        try Data(HostileCorpus.png).write(to: URL(fileURLWithPath: root + "/locked/c.png"))
        try FileManager.default.createSymbolicLink(atPath: root + "/sub/loop", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling.jpg", withDestinationPath: "missing.jpg")
        #expect(mkfifo(root + "/fifo", 0o644) == 0)
        let outside = scratch.path("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data(HostileCorpus.png).write(to: URL(fileURLWithPath: outside + "/linked.png"))
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: outside)
        chmod(root + "/locked", 0)
        defer { chmod(root + "/locked", 0o755) }

        let result = try DVitProcess.run(["classify", "--weights", Self.weights, root])
        #expect(result.status == 1)
        // Root reads any folder: then the locked one is simply walked.
        let locked = HostileCorpus.permissionsAreEnforced ? [] : [root + "/locked/c.png"]
        #expect(result.outputLines.map { String($0.split(separator: " ")[0]) }
            == [root + "/link/linked.png"] + locked + [root + "/photo-without-extension", root + "/sub/b.png"])
        var expected = [
            "dvit: \(root)/dangling.jpg: cannot read (No such file or directory: a broken symbolic link)",
            "dvit: \(root)/fifo: not a photo file: it is a FIFO (named pipe)",
            "dvit: \(root)/notes.txt: not a JPEG or PNG photo (neither its name nor its first bytes)",
            "dvit: \(root)/sub/loop: folder already walked (a symbolic link loop or a second link to it)",
        ]
        if HostileCorpus.permissionsAreEnforced {
            expected.insert("dvit: \(root)/locked: cannot read folder (Permission denied)", at: 3)
        }
        #expect(result.errorLines.map(String.init).sorted() == expected.sorted(), "\(result.standardError)")
    }

    @Test func aSymlinkedFolderIsWalkedWithOrWithoutSlash() throws {
        let scratch = try ScratchDirectory()
        try FileManager.default.createSymbolicLink(atPath: scratch.path("photos"),
                                                   withDestinationPath: DVitProcess.repositoryRoot.appendingPathComponent("images").path)
        for argument in [scratch.path("photos"), scratch.path("photos") + "/"] {
            let result = try DVitProcess.run(["classify", "--weights", Self.weights, argument])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.outputLines.count == 8)
        }
    }

    @Test func inputsThatYieldNoPhotoSaySo() throws {
        let scratch = try ScratchDirectory()
        let empty = scratch.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let folder = try DVitProcess.run(["classify", "--weights", Self.weights, empty])
        #expect(folder.status == 1)
        #expect(folder.standardError == "dvit: \(empty): no JPEG or PNG photo in this folder\n")
        let stdin = try DVitProcess.run(["classify", "--weights", Self.weights, "-"], standardInput: "")
        #expect(stdin.status == 1)
        #expect(stdin.standardError == "dvit: -: no paths on standard input\n")
    }

    @Test func anEmptyShardSaysSoAndSucceeds() throws {
        let result = try DVitProcess.run(["classify", "--weights", Self.weights, "--shard", "1/50", "images/sea-pier.jpg"])
        #expect(result.outputLines.isEmpty)
        #expect(result.standardError == "dvit: note: shard 1/50 holds none of the 1 photos\n")
        #expect(result.status == 0)
    }

    /// Paths on stdin are taken exactly: leading spaces kept, a NUL refused by name, and a
    /// newline inside a name (found by the walk) escaped so every photo stays one line.
    @Test func standardInputPathsAreTakenExactly() throws {
        let scratch = try ScratchDirectory()
        let spaced = scratch.path(" leading space.png")
        try FileManager.default.copyItem(atPath: DVitProcess.repositoryRoot.appendingPathComponent("images/sea-pier-small.png").path, toPath: spaced)
        let result = try DVitProcess.run(["classify", "--weights", Self.weights, "-"],
                                         standardInput: "\(spaced)\nimages/sea-pier-small.png\0junk\n")
        #expect(result.status == 1)
        #expect(result.outputLines.count == 1 && result.outputLines[0].hasPrefix(spaced + "  "))
        #expect(result.errorLines.prefix(4) == ["dvit: images/sea-pier-small.png\\0junk: path on standard input contains a NUL byte"])

        let folder = scratch.path("odd")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: spaced, toPath: folder + "/two\nlines.png")
        let walked = try DVitProcess.run(["classify", "--weights", Self.weights, folder])
        #expect(walked.status == 0)
        #expect(walked.outputLines.count == 1 && walked.outputLines[0].hasPrefix(folder + "/two\\nlines.png  "))
    }

    @Test func aNonUTF8NameIsNamedNotLost() throws {
        let scratch = try ScratchDirectory()
        let folder = scratch.path("names")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var raw = Array((folder + "/caf").utf8) + [0xE9] + Array(".png".utf8) + [0]
        let descriptor = raw.withUnsafeMutableBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644) }
        try #require(descriptor >= 0)
        _ = HostileCorpus.png.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        let result = try DVitProcess.run(["classify", "--weights", Self.weights, folder])
        #expect(result.status == 1)
        #expect(result.standardError.contains("file name is not valid UTF-8; rename it to read it"), "\(result.standardError)")
    }

    @Test(arguments: [(["--max-tokens", "-1"], "--max-tokens must be 0 (native) or positive, got -1"),
                      (["-k", "-5"], "--top must be at least 1, got -5"),
                      (["--threads", "-2"], "--threads must be at least 1, got -2"),
                      (["--shard", "1//2"], "--shard takes k/n, two whole numbers such as 2/8, not '1//2'"),
                      (["--shard", "/1/2"], "--shard takes k/n, two whole numbers such as 2/8, not '/1/2'"),
                      (["--shard", "2/2"], "k counts from 0, so it must lie in 0...1"),
                      (["--shard", "0/0"], "the share count n must be at least 1"),
                      (["--memory-limit", "lots"], "--memory-limit")])
    func badValuesSayWhatIsWrong(arguments: [String], message: String) throws {
        let result = try DVitProcess.run(["classify", "--weights", Self.weights] + arguments + ["images/sea-pier-small.png"])
        #expect(result.status == 2)
        #expect(result.standardError.contains(message), "\(result.standardError)")
        #expect(!result.standardError.contains("Missing value"))
    }

    @Test(arguments: ["config.json", "model.safetensors"])
    func aMissingModelFileIsAUsageErrorNamingIt(file: String) throws {
        let scratch = try ScratchDirectory()
        let weights = scratch.path("weights")
        try FileManager.default.copyItem(atPath: DVitProcess.repositoryRoot.appendingPathComponent(Self.weights).path, toPath: weights)
        try FileManager.default.removeItem(atPath: weights + "/" + file)
        let result = try DVitProcess.run(["classify", "--weights", weights, "images/sea-pier-small.png"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(file) is missing"), "\(result.standardError)")
    }

    /// `--threads N` runs N photos at once, even past the core count (Dispatch capped it).
    @Test func threadsMeansThatManyWorkers() throws {
        let scratch = try ScratchDirectory()
        let folder = scratch.path("photos")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let photo = DVitProcess.repositoryRoot.appendingPathComponent("images/sea-pier.jpg").path
        for index in 0..<200 {
            try FileManager.default.createSymbolicLink(atPath: "\(folder)/\(index).jpg", withDestinationPath: photo)
        }
        let output = scratch.path("out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let workers = ProcessInfo.processInfo.activeProcessorCount + 3
        let process = Process()
        process.executableURL = DVitProcess.executable
        // Photos read at 4,096 tokens take long enough that every worker starts while work remains.
        process.arguments = ["classify", "--weights", Self.weights, "--threads", "\(workers)", "--max-tokens", "4096", folder]
        process.currentDirectoryURL = DVitProcess.repositoryRoot
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        try process.run()
        // How many polls saw each thread named as a photo worker. A thread a worker starts
        // (the kernel pool's) inherits the name for the moment before it renames itself,
        // so only threads seen named in several polls count.
        var polls: [String: Int] = [:]
        while process.isRunning {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task")) ?? []
            for task in tasks where ((try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(task)/comm",
                                                  encoding: .utf8)) ?? "").hasPrefix("dvit-photo") {
                polls[task, default: 0] += 1
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let seen = polls.filter { $0.value >= 3 }
        #expect(process.terminationStatus == 0)
        #expect(seen.count == workers)
        #expect(try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").count == 200)
    }
}

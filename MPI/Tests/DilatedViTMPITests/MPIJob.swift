import Foundation

/// Runs `mpirun` on the executables `swift test` built next to the test bundle, with a
/// deadline: a job still running then is killed and reported as a hang.
enum MPIJob {
    static var buildFolder: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("dvit-mpi").path),
              directory.pathComponents.count > 1 {
            directory.deleteLastPathComponent()
        }
        return directory
    }

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
        var seconds: Double
        var hung: Bool
    }

    /// `mpirun --oversubscribe` with one app context per element of `contexts`: each is a
    /// rank count, an executable in the build folder and its arguments (MPMD: ranks may be
    /// given different arguments).
    /// `during`, if given, runs once mpirun has started, with its pid (then the deadline counts).
    static func run(_ contexts: [(ranks: Int, executable: String, arguments: [String])],
                    deadline: Double = 300, during: ((Int32) -> Void)? = nil) throws -> Result {
        var arguments = ["--oversubscribe"]
        for (i, context) in contexts.enumerated() {
            if i > 0 { arguments.append(":") }
            arguments += ["-np", String(context.ranks), buildFolder.appendingPathComponent(context.executable).path]
                + context.arguments
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-mpi-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
        for path in [out, err] { _ = FileManager.default.createFile(atPath: path.path, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mpirun"] + arguments
        // Open MPI refuses root unless told (CI containers run as root).
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let start = Date()
        try process.run()
        during?(process.processIdentifier)
        var hung = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > deadline {
                hung = true
                process.terminate()
                break
            }
            usleep(50_000)
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      standardOutput: try String(contentsOf: out, encoding: .utf8),
                      standardError: try String(contentsOf: err, encoding: .utf8),
                      seconds: Date().timeIntervalSince(start), hung: hung)
    }
}

/// A folder of small labelled photos (one sub-folder per label) and one file that is not a
/// photo, removed when the value is dropped.
final class SyntheticPhotos {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-mpi-data-\(UUID().uuidString)").path

    init(labels: [String] = ["a", "b", "c"], perLabel: Int = 12) throws {
        for (l, label) in labels.enumerated() {
            try FileManager.default.createDirectory(atPath: root + "/" + label, withIntermediateDirectories: true)
            for i in 0..<perLabel {
                let width = 40, height = 32
                var pixels = [UInt8](repeating: 0, count: width * height * 3)
                for y in 0..<height {
                    for x in 0..<width {
                        let p = (y * width + x) * 3
                        pixels[p] = UInt8(60 * l + 20)
                        pixels[p + 1] = UInt8((x * 255 / (width - 1) + 7 * i) % 256)
                        pixels[p + 2] = UInt8((y * 255 / (height - 1) + 13 * i) % 256)
                    }
                }
                try storedPNG(width: width, height: height, rgb: pixels)
                    .write(to: URL(fileURLWithPath: "\(root)/\(label)/\(i).png"))
            }
        }
        // A photo that fails to decode: it is left out of its batch on whichever rank loads it.
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: "\(root)/a/broken.png"))
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

/// A scratch folder removed when the value is dropped.
final class ScratchFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-mpi-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// An RGB8 PNG whose zlib stream holds stored (uncompressed) deflate blocks: valid for any
/// decoder, and written without a codec library.
func storedPNG(width: Int, height: Int, rgb: [UInt8]) -> Data {
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
    func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }
    var raw: [UInt8] = []
    for y in 0..<height { raw.append(0); raw += rgb[(y * width * 3)..<((y + 1) * width * 3)] }
    var zlib: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let length = min(65_535, raw.count - offset)
        let last: UInt8 = offset + length == raw.count ? 1 : 0
        zlib += [last, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
        zlib += raw[offset..<(offset + length)]
        offset += length
    } while offset < raw.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
    zlib += bigEndian(b << 16 | a)
    let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0]
    return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlib)
                + chunk("IEND", []))
}

/// The pids of the processes whose parent is `parent` and whose name is `name` (Linux /proc).
func childProcesses(of parent: Int32, named name: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return false }
        let command = stat[stat.index(after: open)..<close]
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return command == name.prefix(15) && fields.count > 1 && Int32(fields[1]) == parent
    }
}

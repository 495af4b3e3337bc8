import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

#if canImport(Glibc)
import Glibc
#endif

/// Whether this process runs under AddressSanitizer or ThreadSanitizer (scripts/sanitize).
let runningUnderSanitizer = ["__asan_init", "__tsan_init"].contains { (name: String) in
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) != nil
}

/// Memory for a huge photo stays bounded: `dvit classify` of an 8000×6000 JPEG at the
/// model's default budget (1,024 tokens) decodes it at 1/8 scale (1000×750), so the peak
/// resident size may grow by the file bytes plus a few small images — never by the
/// 144 MB a full-size RGB decode would take. Measured as the child's peak RSS (`wait4`).
@Suite(.disabled(if: runningUnderSanitizer, "ASan/TSan shadow memory and quarantine swamp the RSS bound"))
struct LargePhotoMemoryTests {
    static let weights = DVitProcess.repositoryRoot.appendingPathComponent("Tests/DilatedViTTests/Fixtures/reference/grid7x13").path

    /// A 8000×6000 JPEG with structure on every row (rows of a wide gradient, shifted).
    static func largeJPEG() -> [UInt8] {
        let width = 8000, height = 6000
        let period = 97
        let source = (0..<(width + period) * 3).map { UInt8(truncatingIfNeeded: $0 / 3 / 16 + ($0 % 3) * 60) }
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            source.withUnsafeBufferPointer { row in
                for y in 0..<height {
                    let shift = (y * 13 % period) * 3
                    (buffer.baseAddress! + y * width * 3).update(from: row.baseAddress! + shift, count: width * 3)
                }
            }
            count = width * height * 3
        }
        return Fixtures.jpeg(RGBImage(width: width, height: height, pixels: pixels), .init(quality: 80))
    }

    /// Runs `dvit` with stdout/stderr discarded; returns its exit status and peak RSS in
    /// bytes: its `VmHWM`, polled until it exits. (`wait4`'s ru_maxrss is no use here: Linux
    /// carries the parent's high-water mark into a spawned child across exec.) VmHWM only
    /// grows, and the peak is the decode, well before the forward pass and exit.
    /// Peak RSS of `dvit classify` on a small JPEG (the baseline), then on `photo` saved as
    /// `name`, each in its own process; both must succeed.
    static func peakResidentBytes(classifying photo: [UInt8], named name: String) throws
        -> (baseline: (status: Int32, peak: Int), measured: (status: Int32, peak: Int)) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dvit-large-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let large = directory.appendingPathComponent(name).path
        try Data(photo).write(to: URL(fileURLWithPath: large))
        let small = directory.appendingPathComponent("small.jpg").path
        try Data(HostileCorpus.jpeg).write(to: URL(fileURLWithPath: small))

        let baseline = try peakResidentBytes(["classify", "--weights", weights, small])
        let measured = try peakResidentBytes(["classify", "--weights", weights, large])
        #expect(baseline.status == 0 && measured.status == 0)
        return (baseline, measured)
    }

    static func peakResidentBytes(_ arguments: [String]) throws -> (status: Int32, peak: Int) {
        let executable = DVitProcess.executable.path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        try #require(spawned == 0, "posix_spawn: \(spawned)")
        var peak = 0
        var status: Int32 = 0
        while true {
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) {
                peak = max(peak, kilobytes * 1024)
            }
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { break }
            usleep(2000)
        }
        return ((status >> 8) & 0xFF, peak)
    }

    @Test func hugePhotoIsClassifiedWithinAFractionOfItsFullSize() throws {
        let jpeg = Self.largeJPEG()
        let (baseline, measured) = try Self.peakResidentBytes(classifying: jpeg, named: "8000x6000.jpg")
        let growth = measured.peak - baseline.peak
        let fullSizeRGB = 8000 * 6000 * 3
        // The file is read whole; the 1/8-scale decode is 2.25 MB; the rest is slack.
        let bound = jpeg.count + fullSizeRGB / 8
        #expect(growth < bound, "peak RSS grew by \(growth / 1_048_576) MB (file \(jpeg.count / 1_048_576) MB)")
        print("LargePhotoMemoryTests: peak RSS \(baseline.peak / 1_048_576) MB → \(measured.peak / 1_048_576) MB for 8000×6000 (\(jpeg.count / 1_048_576) MB file); full-size RGB is \(fullSizeRGB / 1_048_576) MB")
    }

    /// A `width × height` 1-bit gray PNG (checks of 61 pixels, so every row has structure),
    /// compressed with the zlib libpng already loaded: a few hundred kilobytes for a photo
    /// that is gigabytes as RGB8. `nil` where zlib's symbols cannot be found.
    static func largeBilevelPNG(width: Int, height: Int) -> [UInt8]? {
        typealias Compress2 = @convention(c) (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?,
                                              UnsafePointer<UInt8>?, UInt, Int32) -> Int32
        typealias Bound = @convention(c) (UInt) -> UInt
        #if os(Linux)
        let library = dlopen("libz.so.1", RTLD_NOW)
        #else
        let library = dlopen("libz.dylib", RTLD_NOW)
        #endif
        guard let compressSymbol = dlsym(library, "compress2"), let boundSymbol = dlsym(library, "compressBound") else {
            return nil
        }
        let compress2 = unsafeBitCast(compressSymbol, to: Compress2.self)
        let compressBound = unsafeBitCast(boundSymbol, to: Bound.self)
        let rowBytes = 1 + (width + 7) / 8
        let rows = (0..<2).map { phase in
            [0] + (0..<(width + 7) / 8).map { byte in
                (0..<8).reduce(UInt8(0)) { bits, bit in
                    let x = byte * 8 + bit
                    return x < width && (x / 61 + phase) % 2 == 1 ? bits | (0x80 >> UInt8(bit)) : bits
                }
            }
        }
        var raw = [UInt8]()
        raw.reserveCapacity(rowBytes * height)
        for y in 0..<height { raw += rows[y / 61 % 2] }
        var compressed = [UInt8](repeating: 0, count: Int(compressBound(UInt(raw.count))))
        var compressedSize = UInt(compressed.count)
        guard compress2(&compressed, &compressedSize, raw, UInt(raw.count), 9) == 0 else { return nil }
        compressed.removeLast(compressed.count - Int(compressedSize))

        func u32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(v >> (24 - 8 * $0) & 0xFF) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return u32(data.count) + body + u32(Int(crc32(body)))
        }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", u32(width) + u32(height) + [1, 0, 0, 0, 0])
            + chunk("IDAT", compressed) + chunk("IEND", [])
    }

    /// A 14000×14000 1-bit PNG (588 MB as RGB8) is shrunk as it decodes: the peak grows by
    /// about the file plus a few rows, not by the full-size image.
    @Test func hugePNGIsShrunkAsItDecodes() throws {
        let side = 14_000
        let png = try #require(Self.largeBilevelPNG(width: side, height: side), "zlib not found")
        let (baseline, measured) = try Self.peakResidentBytes(classifying: png, named: "\(side)x\(side).png")
        let growth = measured.peak - baseline.peak
        let fullSizeRGB = side * side * 3
        // The file is read whole; a stored row is 42 KB as RGB8; 16 MB is slack for the
        // allocator and the model's larger activations.
        let bound = png.count + 16 << 20
        #expect(growth < bound, "peak RSS grew by \(growth / 1_048_576) MB (file \(png.count / 1024) KB)")
        print("LargePhotoMemoryTests: peak RSS \(baseline.peak / 1_048_576) MB → \(measured.peak / 1_048_576) MB for \(side)×\(side) 1-bit PNG (\(png.count / 1024) KB file); full-size RGB is \(fullSizeRGB / 1_048_576) MB")
    }
}

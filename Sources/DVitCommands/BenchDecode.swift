import ArgumentParser
import DilatedViT
import DilatedViTTools
import Foundation

struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "DCT-scaled JPEG decode + resize vs full decode + resize, to one token grid.",
        discussion: """
            Without --jpeg, builds a photo of --megapixels by mirror-tiling --photo (keeping a \
            real photo's detail) and encodes it at quality 90 in memory.

            Example:
              dvit bench decode --photo images/mountain-sunset.jpg --megapixels 24 \\
                --max-tokens 1024
            """)

    @Option(help: "Photo to tile up to --megapixels.", completion: .file(extensions: ["jpg", "jpeg", "png"]))
    var photo = "images/mountain-sunset.jpg"

    @Option(help: "Size of the synthetic test photo (3:2 aspect).") var megapixels = 24.0

    @Option(help: "Benchmark this JPEG file as it is instead.", completion: .file(extensions: ["jpg", "jpeg"]))
    var jpeg: String?

    @Option(help: "Write the synthetic photo to this JPEG file and stop (e.g. a gigapixel photo for --strip).")
    var save: String?

    @Option(help: ArgumentHelp("Load only strip r of n of --jpeg's patch rows, as rank r of a sequence-parallel read, and report its time and peak memory.",
                               discussion: "Run once per strip, each in its own process: the peak is the process's."),
            transform: { try Shard(parsing: $0) })
    var strip: Shard?

    @Option(help: "Token budget of the working resolution (0 = native, with --strip).") var maxTokens = 1024
    @Option(help: "Patch side in pixels.") var patch = 8
    @Option(help: "Timed repetitions per path (the median is reported).") var repeats = 5

    func validate() throws {
        guard megapixels > 0, maxTokens > 0 || (strip != nil && maxTokens == 0), patch > 0, repeats > 0 else {
            throw ValidationError("--megapixels, --max-tokens (but for 0 with --strip), --patch and --repeats must be positive")
        }
        if strip != nil && jpeg == nil { throw ValidationError("--strip reads the photo of --jpeg") }
    }

    mutating func run() throws {
        if let strip, let jpeg { return try measureStrip(strip, of: jpeg) }
        let bytes: [UInt8]
        if let jpeg {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: jpeg)))
        } else {
            let source = try ImageDecoder.decode(contentsOf: photo)
            let height = Int((megapixels * 1e6 / 1.5).squareRoot().rounded())
            let width = Int((Double(height) * 1.5).rounded())
            bytes = try ImageEncoder.jpeg(DecodeBenchmark.mirrorTiled(source, width: width, height: height),
                                          quality: 90)
            if let save {
                try Data(bytes).write(to: URL(fileURLWithPath: save))
                return print("wrote \(save): \(width)×\(height), \(bytes.count / 1_048_576) MiB")
            }
        }
        let result = try DecodeBenchmark.run(jpeg: bytes, patchSize: patch, maxTokens: maxTokens,
                                             repetitions: repeats)
        let megapixels = Double(result.photoWidth * result.photoHeight) / 1e6
        print("photo        \(result.photoWidth)×\(result.photoHeight) (\(String(format: "%.1f", megapixels)) MP, \(bytes.count / 1024) KiB JPEG)")
        print("working      \(result.resolution)")
        print(String(format: "scaled 1/%d   %8.1f ms   decoded RGB %6.1f MB", result.scaleDenominator,
                     result.scaledMilliseconds, Double(result.scaledDecodedBytes) / 1e6))
        print(String(format: "full         %8.1f ms   decoded RGB %6.1f MB", result.fullMilliseconds,
                     Double(result.fullDecodedBytes) / 1e6))
        print(String(format: "speed-up     %.1f×  (median of %d)", result.speedup, repeats))
    }

    /// One rank's strip read alone (`PhotoLoader.load(_:plan:patchRows:)`): the rows, the
    /// time, what the strip holds and the process's peak resident memory.
    private func measureStrip(_ strip: Shard, of path: String) throws {
        let start = ContinuousClock.now
        let loader = PhotoLoader(patchSize: patch, maxTokens: maxTokens)
        let bytes = try loader.readFile(path)
        let plan = try loader.plan(for: bytes)
        let strips = GridStrips(gridRows: plan.resolution.rows, gridColumns: plan.resolution.columns, ranks: strip.count)
        let rows = strips.rows(of: strip.index)
        let photo = try loader.load(bytes, plan: plan, patchRows: rows)
        let seconds = (ContinuousClock.now - start).inSeconds
        let megabytes = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        let gridBytes = photo.grid.values.count * MemoryLayout<Float>.stride
        let pixelBytes = rows.count * patch * plan.resolution.width * 3
        print("photo        \(plan.header.width)×\(plan.header.height), \(megabytes(bytes.count)) MiB file")
        print("working      \(plan.resolution)")
        print("strip        \(strip.index)/\(strip.count): patch rows \(rows.lowerBound)..<\(rows.upperBound) "
              + "(\(photo.grid.tokenCount) tokens), \(String(format: "%.2f", seconds)) s")
        print("held         grid \(megabytes(gridBytes)) MiB + strip pixels \(megabytes(pixelBytes)) MiB + file \(megabytes(bytes.count)) MiB")
        print("peak RSS     \(PeakResidentMemory.highWaterMarkBytes().map(megabytes) ?? "?") MiB")
    }
}

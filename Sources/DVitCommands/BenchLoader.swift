import ArgumentParser
import DilatedViT
import DilatedViTTools
import Foundation

struct BenchLoader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loader",
        abstract: "Training loader throughput: photos decoded + augmented into patch grids per second.",
        discussion: """
            Scans and splits the image folder (10% validation), then loads the first --images \
            photos of a shuffled training epoch at one grid, per thread count, without and \
            with the decoded-image cache.

            Example:
              dvit bench loader --data ../shared/datasets/intel-scenes/train \\
                --images 2048 --grid 12 --threads 0,1,2
            """)

    @Option(help: "Image folder with one sub-folder per label.", completion: .directory)
    var data = "../shared/datasets/intel-scenes/train"

    @Option(help: "Photos per timed pass.") var images = 2048
    @Option(help: "Grid side in patches.") var grid = 12
    @Option(help: "Patch side in pixels.") var patch = 8
    @Option(help: "Loader thread counts to compare (0 = on the consumer's thread).") var threads = "1,2"

    func validate() throws {
        guard images > 0, grid > 0, patch > 0 else { throw ValidationError("--images, --grid and --patch must be positive") }
    }

    mutating func run() throws {
        let counts = try parseIntegerList(threads, option: "--threads", minimum: 0)
        let report = try LoaderBenchmark.run(root: data, images: images, gridSide: grid, patchSize: patch,
                                             threads: counts)
        print(String(format: "scan + split   %.2f s", report.datasetScanSeconds))
        print(report.split.summary, terminator: "")
        print("grid \(grid)×\(grid) patches of \(patch) (\(grid * patch) px), default augmentation, "
              + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("threads  cache     images   seconds   images/s")
        for row in report.rows {
            print(String(format: "%7d  %-7@  %7d  %8.2f  %9.0f", row.threads, row.cache as NSString, row.images,
                         row.seconds, row.imagesPerSecond))
        }
        print(String(format: "one thread, µs per photo: decode %.0f, augment %.0f, patchify %.0f",
                     report.decodeMicroseconds, report.augmentMicroseconds, report.patchifyMicroseconds))
        if report.brokenFiles > 0 { print("broken files skipped: \(report.brokenFiles)") }
    }
}

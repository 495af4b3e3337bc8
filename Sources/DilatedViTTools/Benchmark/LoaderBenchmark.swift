import Foundation
import DilatedViT
import DilatedViTTraining

/// Throughput of the training loader on a real image folder: photos decoded, augmented
/// and patchified per second, for several thread counts, without and with the decoded-image
/// cache. The consumer only drains the batches, so this is the loader's ceiling, not what
/// it achieves beside training compute on the same cores.
public enum LoaderBenchmark {
    public struct Row: Sendable {
        public var threads: Int
        /// `"off"`, `"filling"` (first pass into an empty cache) or `"warm"`.
        public var cache: String
        public var images: Int
        public var seconds: Double
        public var imagesPerSecond: Double { Double(images) / seconds }
    }

    public struct Report: Sendable {
        public var datasetScanSeconds: Double
        public var split: DatasetSplit
        public var rows: [Row]
        public var brokenFiles: Int
        /// Mean microseconds per photo of each stage, on one thread: JPEG read + decode,
        /// augmentation (crop, resize, flip, jitter), normalise + patchify.
        public var decodeMicroseconds: Double
        public var augmentMicroseconds: Double
        public var patchifyMicroseconds: Double
    }

    /// Runs the loader over the first `images` photos of a shuffled training epoch, every
    /// batch at `gridSide × gridSide` patches of `patchSize`, with the default augmentation.
    /// One untimed pass first brings the files into the OS page cache, so "off" measures
    /// decoding rather than the disk.
    public static func run(root: String, images: Int, gridSide: Int, patchSize: Int, threads: [Int],
                           batchSize: Int = 64, seed: UInt64 = 0) throws(DatasetError) -> Report {
        var start = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { start = now }
            return Double(now - start) / 1e9
        }
        let dataset = try ImageFolderDataset(root: root)
        let split = DatasetSplit(dataset, validationFraction: 0.1, seed: seed)
        let scan = lap()
        let sampler = MultiResolutionBatchSampler(sampleCount: split.training.count, batchSize: batchSize,
                                                  gridSides: [gridSide], seed: seed)
        let plans = Array(sampler.batches(epoch: 0).prefix((images + batchSize - 1) / batchSize))

        func pass(_ store: ImageStore, threads: Int) -> (images: Int, seconds: Double) {
            let assembler = BatchAssembler(dataset: dataset, samples: split.training, store: store,
                                           patchSize: patchSize, augmentation: TrainingAugmentation())
            _ = lap()
            let count = PrefetchingBatchLoader(plans: plans, assembler: assembler, threads: threads)
                .reduce(0) { $0 + $1.count }
            return (count, lap())
        }

        let uncached = ImageStore()
        _ = pass(uncached, threads: threads.max() ?? 1)
        var rows: [Row] = []
        for t in threads {
            let result = pass(uncached, threads: t)
            rows.append(Row(threads: t, cache: "off", images: result.images, seconds: result.seconds))
        }
        let cached = ImageStore(cachesDecodedImages: true)
        let filling = pass(cached, threads: threads.max() ?? 1)
        rows.append(Row(threads: threads.max() ?? 1, cache: "filling", images: filling.images, seconds: filling.seconds))
        for t in threads {
            let result = pass(cached, threads: t)
            rows.append(Row(threads: t, cache: "warm", images: result.images, seconds: result.seconds))
        }

        // Stage costs on the calling thread, over the same photos.
        let augmentation = TrainingAugmentation()
        var stages = (decode: 0.0, augment: 0.0, patchify: 0.0, count: 0)
        let side = gridSide * patchSize
        for (sample, seed) in plans.flatMap({ zip($0.samples, $0.seeds) }) {
            _ = lap()
            guard let image = try? ImageDecoder.decode(contentsOf: dataset.fullPath(of: split.training[sample]))
            else { continue }
            stages.decode += lap()
            let augmented = augmentation.apply(to: image, width: side, height: side, seed: seed)
            stages.augment += lap()
            _ = PatchGrid(image: augmented, patchSize: patchSize)
            stages.patchify += lap()
            stages.count += 1
        }
        let perPhoto = 1e6 / Double(max(1, stages.count))
        return Report(datasetScanSeconds: scan, split: split, rows: rows, brokenFiles: uncached.brokenFileCount,
                      decodeMicroseconds: stages.decode * perPhoto, augmentMicroseconds: stages.augment * perPhoto,
                      patchifyMicroseconds: stages.patchify * perPhoto)
    }
}

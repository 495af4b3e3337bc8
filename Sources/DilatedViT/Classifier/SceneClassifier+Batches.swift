import Foundation

extension SceneClassifier {
    /// Classifies a JPEG or PNG held in `Data`.
    public func classify(_ data: Data, options: ClassificationOptions = .init())
        throws(ImageDecodingError) -> Classification
    {
        try classify([UInt8](data), options: options)
    }

    /// `classify(contentsOf:options:)` for async callers. The work is CPU-bound and runs on
    /// the calling task; call it from several tasks to label photos in parallel.
    public func classify(contentsOf path: String, options: ClassificationOptions = .init()) async
        throws(ImageDecodingError) -> Classification
    {
        // A synchronous closure selects the synchronous overload.
        let run = { () throws(ImageDecodingError) in try self.classify(contentsOf: path, options: options) }
        return try run()
    }

    /// Classifies many photos, `maxConcurrency` at a time on threads of their own, and
    /// returns one result per path in the order given: a broken file is a failure in its
    /// slot, never an interruption.
    public func classify(
        contentsOf paths: [String], options: ClassificationOptions = .init(),
        maxConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    ) async -> [Result<Classification, ImageDecodingError>] {
        precondition(maxConcurrency > 0, "maxConcurrency must be positive")
        let work = OrderedWork(count: paths.count, workers: maxConcurrency) { index in
            Result { () throws(ImageDecodingError) in try self.classify(contentsOf: paths[index], options: options) }
        }
        // The results are waited for on a thread of their own, never on the caller's
        // cooperative pool.
        return await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: paths.indices.map { work.result($0)! }) }.start()
        }
    }
}

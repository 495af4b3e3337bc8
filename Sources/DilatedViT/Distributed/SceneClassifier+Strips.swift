import Foundation

extension SceneClassifier {
    /// Classifies the photo at `path` sequence-parallel (docs/DISTRIBUTED.md): every rank of
    /// `group` calls this at once with the same path, holds only its strip of the patch rows
    /// (`GridStrips`) and gets the same result, that of `classify(contentsOf:options:)` up to
    /// float rounding.
    ///
    /// A photo no rank can read (a broken file) throws its decoding error on every rank, like
    /// `classify`, and the ranks go on together. A strip that only some ranks cannot read
    /// throws `StripReadError` on every rank: `.here` with the cause on the ranks that failed,
    /// `.elsewhere` on the others, for the caller to end the job with the cause shown.
    public func classify(contentsOf path: String, options: ClassificationOptions = .init(),
                         across group: any ProcessGroup) throws -> StripClassification {
        precondition(!options.averagesMirroredView, "a sequence-parallel read has no mirrored view")
        let start = ContinuousClock.now
        let loader = photoLoader(maxTokens: options.maxTokens, allowsUpscaling: options.allowsUpscaling)
        // Everything local first, then one agreement, so that no rank is left in a collective.
        let loaded = Result { () throws -> (PatchGrid, LoadedPhoto, GridStrips) in
            let bytes = try loader.readFile(path)
            let plan: LoadPlan
            do throws(ImageDecodingError) { plan = try loader.plan(for: bytes) } catch { throw ImageDecodingError(error.problem, file: path) }
            let resolution = plan.resolution
            let strips = GridStrips(gridRows: resolution.rows, gridColumns: resolution.columns, ranks: group.size,
                                    rowAlignment: model.stripRowAlignment(rows: resolution.rows, columns: resolution.columns,
                                                                          attention: options.attention))
            guard strips.ranks <= strips.gridRows else { throw StripReadError.tooFewRows(path: path, rows: strips.gridRows, ranks: group.size) }
            let rows = strips.rows(of: group.rank)
            let estimate = bytes.count.saturatingSum(max(loader.estimatedBytes(plan: plan, patchRows: rows),
                                                         model.estimatedStripForwardBytes(strips, rank: group.rank,
                                                                                          attention: options.attention)))
            guard memoryBudget.reserve(estimate) else {
                throw ImageDecodingError(.exceedsMemoryLimit(estimatedBytes: estimate, limitBytes: memoryBudget.limitBytes,
                                                             tokens: plan.resolution.tokenCount), file: path)
            }
            defer { memoryBudget.release(estimate) }
            do throws(ImageDecodingError) {
                let photo = try loader.load(bytes, plan: plan, patchRows: rows)
                return (photo.grid, photo, strips)
            } catch {
                throw ImageDecodingError(error.problem, file: path)
            }
        }
        let failed = group.gather(loaded.failed ? 1 : 0).enumerated().filter { $0.element == 1 }.map(\.offset)
        if !failed.isEmpty {
            if case .failure(let error) = loaded {
                if failed.count == group.size { throw error }
                throw StripReadError.here(rank: group.rank, cause: error)
            }
            throw StripReadError.elsewhere(ranks: failed)
        }
        let (strip, photo, strips) = try loaded.get()
        let loadMilliseconds = (ContinuousClock.now - start).inMilliseconds
        let modelStart = ContinuousClock.now
        let result = model.logits(forStrip: strip, of: strips, in: group, attention: options.attention)
        return StripClassification(
            classification: Classification(top: top(softmax(result.logits), options: options), photo: photo.summary,
                                           decodeMilliseconds: loadMilliseconds,
                                           modelMilliseconds: (ContinuousClock.now - modelStart).inMilliseconds),
            strips: strips, exchange: result)
    }
}

/// A photo classified sequence-parallel, with how it was cut and what this rank sent.
public struct StripClassification: Sendable {
    public var classification: Classification
    public var strips: GridStrips
    public var exchange: StripLogits
}

/// Some ranks could not read their strip of a photo that others could.
public enum StripReadError: Error, CustomStringConvertible {
    /// This rank failed, for `cause`.
    case here(rank: Int, cause: any Error)
    /// These other ranks failed (each reports its own cause).
    case elsewhere(ranks: [Int])
    /// Every rank needs at least one patch row.
    case tooFewRows(path: String, rows: Int, ranks: Int)

    public var description: String {
        switch self {
        case .here(let rank, let cause): "rank \(rank) could not read its strip: \(cause)"
        case .elsewhere(let ranks): "ranks \(ranks.map(String.init).joined(separator: ", ")) could not read their strips"
        case .tooFewRows(let path, let rows, let ranks):
            "\(path): a grid of \(rows) patch rows cannot be cut into \(ranks) strips; use at most \(rows) ranks"
        }
    }
}

private extension Result {
    var failed: Bool { if case .failure = self { true } else { false } }
}

import ArgumentParser
import DilatedViT
import Foundation

extension Classify {
    /// `mpirun -np N dvit-mpi classify …` (docs/DISTRIBUTED.md): every photo is read by all
    /// ranks at once, each holding one strip of its patch rows; rank 0 prints each photo's
    /// usual line, with the rank count and the bytes the ranks exchanged, in input order.
    /// A photo no rank can read gets its error line and the others go on; a strip that only
    /// some ranks cannot read ends the job: those ranks fail with the cause, the others with
    /// status `DVitCommandLine.anotherRankFailed` and no line (`dvit-mpi` names the failing rank).
    func runAcrossRanks(_ group: any ProcessGroup) throws {
        guard !inference.mirrorAverage else {
            throw ValidationError("--mirror-average is not available across ranks; run it with dvit")
        }
        let classifier = try model.loadClassifier(reading: inference)
        try requireSameWeights(in: group)
        let options = inference.classificationOptions(topK: top)
        let (photos, skipped) = batch.photos()
        var failures = skipped
        for path in photos {
            do {
                let result = try classifier.classify(contentsOf: path, options: options, across: group)
                var bytes = [Double(result.exchange.bytesSent)]
                group.sum(&bytes)
                guard group.rank == 0 else { continue }
                let line = json
                    ? ClassificationReport.json(path: path, result.classification, ranks: group.size, bytesExchanged: Int(bytes[0]))
                    : ClassificationReport.text(path: path, result.classification, ranks: group.size, bytesExchanged: Int(bytes[0]))
                try StandardStreams.writeOutput(line)
            } catch StripReadError.elsewhere {
                throw ExitCode(DVitCommandLine.anotherRankFailed)  // that rank reports the cause
            } catch let error as StripReadError {
                guard case .tooFewRows = error else { throw error }
                failures += 1
                printError("dvit: \(error)")
            } catch let error as OutputError {
                throw error
            } catch {
                failures += 1
                printError("dvit: \(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Every rank must read the same model: the hashes of its two files are compared at start.
    private func requireSameWeights(in group: any ProcessGroup) throws {
        var hash = fnv1a64([UInt8]())
        for file in ["config.json", "model.safetensors"] {
            hash = fnv1a64(try Data(contentsOf: URL(fileURLWithPath: model.weights + "/" + file)), continuing: hash)
        }
        let hashes = group.gather(hash)
        if let other = hashes.firstIndex(where: { $0 != hashes[0] }) {
            throw ValidationError("rank \(other) loaded other weights than rank 0 from \(model.weights)/ (every rank must read the same model)")
        }
    }
}

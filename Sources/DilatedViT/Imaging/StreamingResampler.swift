/// `Resampler.resize(image.applying(orientation), width: width, height: height)`, computed
/// from the stored image's rows as a decoder delivers them, top to bottom, without ever
/// holding the image: bit-identical to that call, for every orientation.
///
/// Bit-identical because every output value is the same floating-point sums as `resize`
/// makes — the same weights (`AxisWeights` over the displayed sides) and the same products
/// added in the same order (`Resampler.resampleSample`, `foldLines`) — only scheduled as
/// rows arrive. Resampling the stored image and orienting the small result would not do:
/// a rotation swaps which axis is summed first and a flip reverses a sum, and float
/// addition is not associative (measured on random images: after a rotation about one
/// byte in 10⁴ differs by a level; flips happened to agree, but nothing guarantees it).
///
/// What is held besides the output (`bufferedBytes`):
/// - orientations that keep rows as rows (up, mirrored, down, down-mirrored): each stored
///   row is resampled horizontally on arrival; only the resampled rows (target width) of
///   the output rows not finished yet are kept — a few kilobytes;
/// - orientations that turn stored rows into displayed columns (5–8): the stored rows that
///   one displayed output column averages are kept (twice, so that any window of them is
///   one strided line), i.e. about 2·(stored height / target width) stored rows.
/// Rows arriving in the reverse of displayed order (down, down-mirrored, right,
/// right-mirrored) are held until the lowest displayed line of a target has come, so
/// each sum still runs in ascending displayed order.
final class StreamingResampler {
    let storedWidth: Int
    let storedHeight: Int
    let orientation: ExifOrientation
    /// Target size, displayed (oriented) axes.
    let width: Int
    let height: Int
    /// Stored rows consumed so far.
    private(set) var rowsConsumed = 0

    private let horizontal: AxisWeights
    private let vertical: AxisWeights
    private let transposes: Bool
    /// Stored rows arrive in ascending displayed order (of rows, or of columns if transposed).
    private let ascending: Bool
    /// Stored columns run backwards in the displayed image (displayed x for rows kept as
    /// rows, displayed y for transposed ones).
    private let reversesColumns: Bool
    /// The axis stored rows arrive along: `vertical`, or `horizontal` if transposed.
    private let arrivalAxis: AxisWeights
    /// Next target along `arrivalAxis` to finish (counting down when not `ascending`).
    private var nextTarget: Int
    private var targetsLeft: Int
    /// Ring of `slots` lines, line `i` (displayed index along the arrival axis) at slot
    /// `i % slots`; transposed: also at `i % slots + slots`, so any window of up to
    /// `slots` consecutive lines is contiguous.
    private let slots: Int
    private let lineBytes: Int
    private let ring: UnsafeMutableRawPointer
    /// Transposed: one resampled displayed column (target column), 3 floats per row.
    private let column: UnsafeMutablePointer<Float>
    private let accumulator: UnsafeMutablePointer<Float>
    private var output: [UInt8]

    /// Bytes held while streaming, besides the output image.
    var bufferedBytes: Int { (transposes ? 2 : 1) * slots * lineBytes + (transposes ? storedWidth * 3 * 4 : 0) }

    /// The output rows kept (all but for a strip of a sequence-parallel read).
    let keptRows: Range<Int>

    /// `extent`: the displayed source region the output covers, when it ends part-way
    /// through the last pixel (libjpeg's scaled decode; see `Resampler.resize`). `keptRows`:
    /// only these output rows are made and kept — only for orientations that keep rows as
    /// rows in order (up, up-mirrored), whose rows a decoder can skip (`skip(toRow:)`).
    init(storedWidth: Int, storedHeight: Int, orientation: ExifOrientation, width: Int, height: Int,
         extent: (width: Double, height: Double)? = nil, keptRows: Range<Int>? = nil) {
        precondition(storedWidth > 0 && storedHeight > 0 && width > 0 && height > 0)
        precondition(keptRows == nil || (orientation == .up || orientation == .upMirrored),
                     "StreamingResampler: a strip of rows only for rows kept as rows, in order")
        self.keptRows = keptRows ?? 0..<height
        precondition(!self.keptRows.isEmpty && self.keptRows.clamped(to: 0..<height) == self.keptRows)
        self.storedWidth = storedWidth
        self.storedHeight = storedHeight
        self.orientation = orientation
        self.width = width
        self.height = height
        transposes = orientation.swapsDimensions
        let (shownWidth, shownHeight) = transposes ? (storedHeight, storedWidth) : (storedWidth, storedHeight)
        horizontal = AxisWeights(source: shownWidth, extent: extent?.width ?? Double(shownWidth), target: width)
        vertical = AxisWeights(source: shownHeight, extent: extent?.height ?? Double(shownHeight), target: height)
        // Displayed (x, y) reads stored (column, row), as `RGBImage.applying` moves pixels:
        // up (x, y); upMirrored (w−1−x, y); down (w−1−x, h−1−y); downMirrored (x, h−1−y);
        // leftMirrored (y, x); right (y, h−1−x); rightMirrored (w−1−y, h−1−x); left (w−1−y, x).
        switch orientation {
        case .up: (ascending, reversesColumns) = (true, false)
        case .upMirrored: (ascending, reversesColumns) = (true, true)
        case .down: (ascending, reversesColumns) = (false, true)
        case .downMirrored: (ascending, reversesColumns) = (false, false)
        case .leftMirrored: (ascending, reversesColumns) = (true, false)
        case .right: (ascending, reversesColumns) = (false, false)
        case .rightMirrored: (ascending, reversesColumns) = (false, true)
        case .left: (ascending, reversesColumns) = (true, true)
        }
        arrivalAxis = transposes ? horizontal : vertical
        targetsLeft = arrivalAxis.count
        nextTarget = ascending ? 0 : arrivalAxis.count - 1
        // A line is needed from its first target's start to its last target's end; the lines
        // alive at once all lie within one target's span (see `consume`).
        slots = arrivalAxis.weights.map(\.count).max()!
        if transposes {
            lineBytes = storedWidth * 3
            ring = .allocate(byteCount: 2 * slots * lineBytes, alignment: 16)
        } else {
            lineBytes = width * 3 * MemoryLayout<Float>.stride
            ring = .allocate(byteCount: slots * lineBytes, alignment: 16)
        }
        column = .allocate(capacity: transposes ? storedWidth * 3 : 0)
        accumulator = .allocate(capacity: transposes ? 3 : width * 3)
        output = [UInt8](repeating: 0, count: width * self.keptRows.count * 3)
    }

    /// The stored rows the kept output rows read (all of them without a strip).
    var neededRows: Range<Int> {
        guard !transposes && ascending else { return 0..<storedHeight }
        return vertical.first[keptRows.lowerBound]..<vertical.last(keptRows.upperBound - 1) + 1
    }

    /// Whether every kept output row is made.
    var isComplete: Bool { ascending && !transposes ? nextTarget >= keptRows.upperBound : targetsLeft == 0 }

    /// Moves on to stored row `row` without reading the rows before it, which no kept output
    /// row reads (a decoder skipping to `neededRows.lowerBound`).
    func skip(toRow row: Int) {
        precondition(row >= rowsConsumed && row <= neededRows.lowerBound, "StreamingResampler: skipping needed rows")
        rowsConsumed = row
    }

    deinit {
        ring.deallocate()
        column.deallocate()
        accumulator.deallocate()
    }

    /// Takes the next stored row: `storedWidth` RGB8 pixels.
    func consume(_ row: UnsafePointer<UInt8>) {
        precondition(rowsConsumed < storedHeight, "more rows than the image has")
        let line = ascending ? rowsConsumed : storedHeight - 1 - rowsConsumed
        rowsConsumed += 1
        // Line `i` overwrites line `i ∓ slots`. Before it arrives every target whose span
        // ends before it has finished, so the next target's span holds it, and all lines
        // still needed lie in that span, fewer than `slots` away: the one overwritten is done.
        if transposes {
            let slot = ring + (line % slots) * lineBytes
            slot.copyMemory(from: row, byteCount: lineBytes)
            (slot + slots * lineBytes).copyMemory(from: row, byteCount: lineBytes)
        } else if neededRows.contains(line) {
            // Resampled along the displayed row on arrival.
            let start = reversesColumns ? row + (storedWidth - 1) * 3 : row
            Resampler.resampleLine(start, step: reversesColumns ? -3 : 3, horizontal,
                                   into: floatLine(line))
        }
        while targetsLeft > 0 {
            let ready = ascending ? arrivalAxis.last(nextTarget) <= line : arrivalAxis.first[nextTarget] >= line
            guard ready else { break }
            if transposes { finishColumn(nextTarget) } else { finishRow(nextTarget) }
            nextTarget += ascending ? 1 : -1
            targetsLeft -= 1
        }
    }

    /// The result (the kept rows), once they are all made.
    func result() -> RGBImage {
        precondition(isComplete, "the image is not complete")
        return RGBImage(width: width, height: keptRows.count, pixels: output)
    }

    private func floatLine(_ line: Int) -> UnsafeMutablePointer<Float> {
        (ring + (line % slots) * lineBytes).assumingMemoryBound(to: Float.self)
    }

    /// Output row `t`: `resize`'s vertical pass over the resampled rows it covers.
    private func finishRow(_ t: Int) {
        guard keptRows.contains(t) else { return }
        let length = width * 3
        Resampler.foldLines(vertical, target: t, length: length, into: accumulator) {
            UnsafePointer(self.floatLine($0))
        }
        output.withUnsafeMutableBufferPointer {
            Resampler.storeRounded(accumulator, count: length, into: $0.baseAddress! + (t - keptRows.lowerBound) * length)
        }
    }

    /// Output column `t`: `resize`'s horizontal pass for that column on every displayed row
    /// (a stored column, read down the held rows), then its vertical pass down the column.
    private func finishColumn(_ t: Int) {
        let first = horizontal.first[t]
        let window = UnsafePointer((ring + (first % slots) * lineBytes).assumingMemoryBound(to: UInt8.self))
        for y in 0..<storedWidth {
            let storedColumn = reversesColumns ? storedWidth - 1 - y : y
            let (r, g, b) = Resampler.resampleSample(window + storedColumn * 3, step: lineBytes,
                                                     horizontal, target: t)
            column[3 * y] = r; column[3 * y + 1] = g; column[3 * y + 2] = b
        }
        output.withUnsafeMutableBufferPointer { output in
            for y in 0..<height {
                Resampler.foldLines(vertical, target: y, length: 3, into: accumulator) {
                    UnsafePointer(self.column + 3 * $0)
                }
                Resampler.storeRounded(accumulator, count: 3, into: output.baseAddress! + (y * width + t) * 3)
            }
        }
    }
}

import CKernels

/// Dilated multi-head attention (MODEL.md §5), written into `output` (`N × D`).
///
/// Levels run one after another; within a level, (segment, head) pairs run in parallel —
/// they write disjoint (token, head) states, since one head's windows are disjoint.
/// Each window runs in one native kernel call (`ck_window_attention`): its queries absorb
/// its keys with online softmax straight into per-(token, head) running states, which
/// also merge the levels. Extra memory: two `N × H` floats besides `output`.
/// `windowKernel` is the dispatching native kernel; tests pass `ck_window_attention_baseline`
/// to cover the clone CPUs without AVX2 run.
func dilatedAttention(_ problem: AttentionProblem, levels: [AttentionLevel],
                      output: UnsafeMutablePointer<Float>,
                      windowKernel: WindowAttentionKernel = ck_window_attention) {
    let n = problem.tokenCount, heads = problem.heads, dh = problem.headDimension
    let dimension = problem.dimension
    let maxima = UnsafeMutablePointer<Float>.allocate(capacity: n * heads)
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: n * heads)
    defer { maxima.deallocate(); sums.deallocate() }
    maxima.initialize(repeating: -.infinity, count: n * heads)
    sums.initialize(repeating: 0, count: n * heads)
    output.initialize(repeating: 0, count: n * dimension)

    for level in levels {
        let geometry = (0..<heads).map {
            DilatedWindows(level: level, head: $0, gridRows: problem.rows, gridColumns: problem.columns)
        }
        let capacity = DilatedWindows.capacity(level: level, gridRows: problem.rows, gridColumns: problem.columns)
        // Segment-major order: the heads of one segment run back to back while its q/k/v
        // rows are in cache (head-major order streamed the whole band once per head).
        let segmentColumns = (problem.columns + level.segment - 1) / level.segment
        let segmentCount = (problem.rows + level.segment - 1) / level.segment * segmentColumns

        parallelChunks(segmentCount * heads) { items in
            let tokens = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
            let scratch = UnsafeMutablePointer<Float>.allocate(
                capacity: ck_window_attention_scratch_count(capacity, dh))
            defer { tokens.deallocate(); scratch.deallocate() }
            for item in items {
                let segment = item / heads, head = item % heads
                let count = geometry[head].tokens(inSegmentRow: segment / segmentColumns,
                                                  column: segment % segmentColumns,
                                                  gridColumns: problem.columns, into: tokens)
                let column = head * dh
                windowKernel(count, tokens,
                             problem.queries + column, problem.keys + column, problem.values + column,
                             problem.rowStride, dh, problem.scale,
                             maxima + head, sums + head, heads,
                             output + column, dimension, scratch)
            }
        }
    }

    // Normalise: o = Σ_l exp(lse_l − M)·o_l / Σ_l exp(lse_l − M). A token no level
    // selected (impossible when the first level has dilation 1) keeps a zero output.
    parallelChunks(n, chunksPerWorker: 1) { tokens in
        for t in tokens {
            for h in 0..<heads {
                let sum = sums[t * heads + h]
                let inverse: Float = sum > 0 ? 1 / sum : 0
                let row = output + t * dimension + h * dh
                for d in 0..<dh { row[d] *= inverse }
            }
        }
    }
}

/// The C signature of `ck_window_attention` and its baseline twin.
typealias WindowAttentionKernel = @convention(c) (
    Int, UnsafePointer<Int>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?,
    Int, Int, Float, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, Int,
    UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Float>?) -> Void

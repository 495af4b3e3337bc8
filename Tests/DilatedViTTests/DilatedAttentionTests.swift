import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct DilatedAttentionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let rows: Int, columns: Int, heads: Int, headDimension: Int
        let levels: [AttentionLevel]
        var testDescription: String {
            "\(rows)×\(columns), \(heads) heads, levels \(levels.map { "(\($0.segment),\($0.dilation))" }.joined())"
        }
    }

    static let cases: [Case] = [
        Case(rows: 7, columns: 13, heads: 4, headDimension: 8, levels: .pairs((4, 1), (8, 2))),
        Case(rows: 7, columns: 13, heads: 8, headDimension: 4, levels: .pairs((3, 1), (6, 2), (12, 4))),
        Case(rows: 1, columns: 40, heads: 4, headDimension: 8, levels: .pairs((4, 1), (16, 4))),
        Case(rows: 40, columns: 1, heads: 4, headDimension: 8, levels: .pairs((4, 1), (16, 4))),
        Case(rows: 5, columns: 5, heads: 3, headDimension: 16, levels: .pairs((2, 1), (4, 2), (8, 4))),
        // Fewer heads than r² = 4: only offsets 0 and 1 take part at the dilated level.
        Case(rows: 16, columns: 16, heads: 2, headDimension: 24, levels: .pairs((4, 1), (8, 2))),
        // More heads than r²: heads 4…7 reuse the offsets of heads 0…3.
        Case(rows: 16, columns: 16, heads: 8, headDimension: 8, levels: .pairs((8, 1), (8, 2))),
        Case(rows: 16, columns: 16, heads: 6, headDimension: 32, levels: .pairs((5, 1))),
        // A window larger than one key chunk (33 × 33 > 512 keys).
        Case(rows: 33, columns: 33, heads: 1, headDimension: 16, levels: .pairs((33, 1), (6, 3))),
        // A dilated first level: the states are set before any window (no call starts them).
        Case(rows: 9, columns: 10, heads: 4, headDimension: 16, levels: .pairs((6, 3), (3, 1))),
    ]

    @Test(arguments: cases)
    func matchesBruteForceDefinition(_ c: Case) {
        let n = c.rows * c.columns, d = c.heads * c.headDimension
        let q = randomValues(n * d, seed: 1, scale: 2), k = randomValues(n * d, seed: 2, scale: 2)
        let v = randomValues(n * d, seed: 3)
        let expected = AttentionReference.dilated(q: q, k: k, v: v, rows: c.rows, columns: c.columns,
                                                  heads: c.heads, levels: c.levels)
        let output = attention(queries: q, keys: k, values: v, rows: c.rows, columns: c.columns,
                               heads: c.heads, levels: c.levels, mode: .dilated)
        #expect(maxAbsDifference(output, expected) < 1e-5)
        // The same through the model's [q | k | v] row layout and the baseline x86-64 clone
        // of the window kernel (what CPUs without AVX2 run).
        var qkv = [Float]()
        for t in 0..<n { for m in [q, k, v] { qkv += m[t * d..<(t + 1) * d] } }
        var baseline = [Float](repeating: .nan, count: n * d)
        qkv.withUnsafeBufferPointer { rows in
            baseline.withUnsafeMutableBufferPointer { out in
                let problem = AttentionProblem(
                    queries: rows.baseAddress!, keys: rows.baseAddress! + d, values: rows.baseAddress! + 2 * d,
                    rowStride: 3 * d, rows: c.rows, columns: c.columns, heads: c.heads, headDimension: c.headDimension)
                WindowWalker(problem, levels: c.levels, kernels: .baseline).forward(problem, output: out.baseAddress!)
            }
        }
        #expect(maxAbsDifference(baseline, expected) < 1e-5)
    }

    @Test(arguments: [(7, 13), (1, 40), (40, 1), (5, 5), (16, 16), (1, 1)])
    func denseModeMatchesBruteForce(rows: Int, columns: Int) {
        let n = rows * columns, heads = 4, d = 32
        let q = randomValues(n * d, seed: 4, scale: 2), k = randomValues(n * d, seed: 5, scale: 2)
        let v = randomValues(n * d, seed: 6)
        let expected = AttentionReference.dense(q: q, k: k, v: v, tokens: n, heads: heads)
        let output = attention(queries: q, keys: k, values: v, rows: rows, columns: columns,
                               heads: heads, levels: [], mode: .dense)
        #expect(maxAbsDifference(output, expected) < 1e-5)
    }

    @Test(arguments: [(7, 13), (16, 16), (40, 1), (30, 30)])
    func singleUndilatedLevelCoveringTheGridIsDense(rows: Int, columns: Int) {
        let n = rows * columns, heads = 2, d = 48
        let q = randomValues(n * d, seed: 7, scale: 2), k = randomValues(n * d, seed: 8, scale: 2)
        let v = randomValues(n * d, seed: 9)
        let segment = max(rows, columns)
        let dilated = attention(queries: q, keys: k, values: v, rows: rows, columns: columns, heads: heads,
                                levels: [.init(segment: segment, dilation: 1)], mode: .dilated)
        let dense = attention(queries: q, keys: k, values: v, rows: rows, columns: columns, heads: heads,
                              levels: [], mode: .dense)
        #expect(maxAbsDifference(dilated, dense) < 1e-5)
    }

    @Test func subLatticeWindowsMatchSegmentSelection() {
        // Every token a head selects in a segment lies in exactly one of its windows, and vice versa.
        let level = AttentionLevel(segment: 6, dilation: 3)
        let rows = 11, columns = 7
        for head in 0..<9 {
            let windows = DilatedWindows(level: level, head: head, gridRows: rows, gridColumns: columns)
            var fromWindows = Set<[Int]>()
            let buffer = UnsafeMutablePointer<Int>.allocate(capacity: 64)
            defer { buffer.deallocate() }
            for w in 0..<windows.count {
                let count = windows.tokens(ofWindow: w, gridColumns: columns, into: buffer)
                fromWindows.insert(Array(UnsafeBufferPointer(start: buffer, count: count)).sorted())
            }
            var fromSegments = Set<[Int]>()
            let oy = head / 3, ox = head % 3
            for sy in stride(from: 0, to: rows, by: 6) {
                for sx in stride(from: 0, to: columns, by: 6) {
                    var selected: [Int] = []
                    for y in sy..<min(sy + 6, rows) {
                        for x in sx..<min(sx + 6, columns) where (y - sy) % 3 == oy && (x - sx) % 3 == ox {
                            selected.append(y * columns + x)
                        }
                    }
                    if !selected.isEmpty { fromSegments.insert(selected) }
                }
            }
            #expect(fromWindows == fromSegments, "head \(head)")
        }
    }
}

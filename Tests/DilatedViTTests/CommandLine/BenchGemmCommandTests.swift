import Testing

@Suite struct BenchGemmCommandTests {
    @Test func printsOneRowPerLayerAndRowCount() throws {
        // Tiny rounds: a structure check, not a measurement.
        let result = try DVitProcess.run(["bench", "gemm", "--rows", "8,70", "--rounds", "1", "--round-seconds", "0.001"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.outputLines.filter { !$0.hasPrefix("note:") }.map { $0.split(separator: "\t").map(String.init) }
        let header = try #require(lines.first), rows = lines.dropFirst()
        #expect(rows.map { "\($0[0]) \($0[1])" }
                == ["qkv 8", "proj 8", "fc1 8", "fc2 8", "qkv 70", "proj 70", "fc1 70", "fc2 70"])
        // Every kernel computed sgemm's product, up to its own rounding.
        for (column, bound) in [("fp32_rel_diff", 1e-5), ("bf16_rel_diff", 1e-2), ("int8_rel_diff", 3e-2)] {
            let index = try #require(header.firstIndex(of: column), "\(header)")
            #expect(rows.allSatisfy { Double($0[index]).map { $0 < bound } == true }, "\(column): \(result.standardOutput)")
        }
        #expect(rows.allSatisfy { row in (4..<8).allSatisfy { Double(row[$0]).map { $0 > 0 } == true } })
    }

    @Test func rejectsBadRowLists() throws {
        #expect(try DVitProcess.run(["bench", "gemm", "--rows", "0"]).status == 2)
    }
}

import Testing

@Suite struct BenchGemmCommandTests {
    @Test func printsOneRowPerLayerAndRowCount() throws {
        // Tiny rounds: a structure check, not a measurement.
        let result = try DVitProcess.run(["bench", "gemm", "--rows", "8,70", "--rounds", "1", "--round-seconds", "0.001"])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = result.outputLines.filter { !$0.hasPrefix("note:") }.dropFirst().map { $0.split(separator: "\t") }
        #expect(rows.map { "\($0[0]) \($0[1])" }
                == ["qkv 8", "proj 8", "fc1 8", "fc2 8", "qkv 70", "proj 70", "fc1 70", "fc2 70"])
        // Both sides computed the same product, up to bf16 rounding.
        #expect(rows.allSatisfy { Double($0[7]).map { $0 < 1e-2 } == true }, "\(result.standardOutput)")
    }

    @Test func rejectsBadRowLists() throws {
        #expect(try DVitProcess.run(["bench", "gemm", "--rows", "0"]).status == 2)
    }
}

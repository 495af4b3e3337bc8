import CKernels
import Foundation
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

@Suite struct ParallelTests {
    /// Runs `parallelFor(count)` and returns how often each index ran.
    private func visits(_ count: Int) -> [Int] {
        let tally = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        defer { tally.deallocate() }
        tally.initialize(repeating: 0, count: max(count, 1))
        parallelFor(count) { tally[$0] += 1 }  // disjoint writes, as the contract asks
        return Array(UnsafeBufferPointer(start: tally, count: count))
    }

    // Past 65,535 items a call runs as several pool jobs.
    @Test(arguments: [0, 1, 2, 3, 17, 1000, 70_000])
    func everyIndexRunsExactlyOnce(count: Int) {
        for _ in 0..<20 {
            #expect(visits(count) == [Int](repeating: 1, count: count))
        }
    }

    // Loops nested in a body, and loops from several threads at once, run inline when the
    // pool is taken: still every index exactly once, and no deadlock.
    @Test func nestedAndConcurrentCallsRunEveryIndexOnce() async {
        let nested = UnsafeMutablePointer<Int>.allocate(capacity: 8 * 50)
        defer { nested.deallocate() }
        nested.initialize(repeating: 0, count: 8 * 50)
        parallelFor(8) { outer in parallelFor(50) { nested[outer * 50 + $0] += 1 } }
        #expect(Array(UnsafeBufferPointer(start: nested, count: 8 * 50)) == [Int](repeating: 1, count: 8 * 50))

        let results = await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<6 {
                group.addTask {
                    (0..<200).allSatisfy { round in
                        let count = 1 + (caller * 37 + round) % 300
                        return visits(count) == [Int](repeating: 1, count: count)
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [Bool](repeating: true, count: 6))
    }
}

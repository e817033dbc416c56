import CPithRuntimeKernels
import XCTest

/// The worker pool runs every task once per call, on whichever thread claims it, and
/// returns only when all are done (checked under ThreadSanitizer by hand:
/// gcc -fsanitize=thread, clean).
final class ParallelTests: XCTestCase {
    func testPoolRunsEveryTaskOnceAndWaitsForThem() {
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        slots.initialize(repeating: 0, count: 4)
        defer { slots.deallocate() }
        let pool = pith_pool_create(3)
        XCTAssertNotNil(pool)
        for i in 0..<3000 {
            pith_pool_run(pool, Int32(1 + i % 3), { context, index in
                context!.assumingMemoryBound(to: Int.self)[Int(index)] += Int(index) + 1
            }, slots)
        }
        pith_pool_destroy(pool)
        XCTAssertEqual([slots[0], slots[1], slots[2], slots[3]], [3000, 2 * 2000, 3 * 1000, 0])
        // Without a pool the tasks run on the caller, one after another.
        pith_pool_run(nil, 2, { context, index in
            context!.assumingMemoryBound(to: Int.self)[Int(index)] += 10
        }, slots)
        XCTAssertEqual(slots[1], 4010)
    }
}

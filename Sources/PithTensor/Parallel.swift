import Dispatch

/// Runs `body(i)` for i in 0..<n, spread over `Threads.count` threads in contiguous
/// chunks. Each i must write disjoint memory. With one thread it is a plain loop.
public func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    parallelRanges(n, grain: 1) { lo, hi in
        for i in lo..<hi { body(i) }
    }
}

/// Runs `body(lo, hi)` over 0..<n split into one contiguous range per thread, or as one
/// range when n is below `grain` (threads cost more than they save on small arrays).
public func parallelRanges(_ n: Int, grain: Int = 1 << 15, _ body: (Int, Int) -> Void) {
    let threads = min(Threads.count, max(1, n / grain))
    if threads <= 1 {
        body(0, n)
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            work(n * t / threads, n * (t + 1) / threads)
        }
    }
}

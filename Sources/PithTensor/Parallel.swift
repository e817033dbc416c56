import Dispatch

/// Runs `body(i)` for i in 0..<n, spread over `Threads.count` threads in contiguous
/// chunks. Each i must write disjoint memory. With one thread it is a plain loop.
public func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    let threads = min(Threads.count, n)
    if threads <= 1 {
        for i in 0..<n { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = n * t / threads, hi = n * (t + 1) / threads
            for i in lo..<hi { work(i) }
        }
    }
}

/// Lays the values out in one arena: each gets the lowest offset (a multiple of 64) that
/// does not overlap a value alive at some step of its own life.
///
/// A value v lives from `producedAt[v]` (the step that writes it; −1: before the first
/// step, the graph input) to `lastUse[v]` (the last step that reads it; graph outputs:
/// past the last step). A value no step reads lives at least through the step that makes
/// it — the format refuses such graphs, but the plan stays sound without that rule.
/// Values of size 0 get no place.
enum ArenaPlanner {
    struct Plan: Equatable {
        var offsets: [Int]
        var total: Int
    }

    static func plan(sizes: [Int], producedAt: [Int], lastUse: [Int]) -> Plan {
        var offsets = [Int](repeating: 0, count: sizes.count)
        var placed: [(start: Int, end: Int, made: Int, last: Int)] = []
        var total = 0
        let order = sizes.indices.filter { sizes[$0] > 0 }.sorted { producedAt[$0] < producedAt[$1] }
        for v in order {
            let size = (sizes[v] + 63) / 64 * 64
            let made = producedAt[v], last = max(lastUse[v], producedAt[v])
            let live = placed.filter { $0.last >= made && $0.made <= last }.sorted { $0.start < $1.start }
            var candidate = 0
            for block in live {
                if candidate + size <= block.start { break }
                candidate = max(candidate, block.end)
            }
            offsets[v] = candidate
            placed.append((candidate, candidate + size, made, last))
            total = max(total, candidate + size)
        }
        return Plan(offsets: offsets, total: total)
    }

    /// Whether two values that are alive at the same step share any byte of the plan
    /// (tflite-micro's DoAnyBuffersOverlap); every plan `plan` makes answers false.
    static func anyLiveBuffersOverlap(_ plan: Plan, sizes: [Int], producedAt: [Int], lastUse: [Int]) -> Bool {
        let used = sizes.indices.filter { sizes[$0] > 0 }
        for (n, a) in used.enumerated() {
            for b in used[(n + 1)...] {
                let aLast = max(lastUse[a], producedAt[a]), bLast = max(lastUse[b], producedAt[b])
                let together = producedAt[a] <= bLast && producedAt[b] <= aLast
                let overlap = plan.offsets[a] < plan.offsets[b] + sizes[b] && plan.offsets[b] < plan.offsets[a] + sizes[a]
                if together && overlap { return true }
            }
        }
        return false
    }
}

// Micro-benchmark of the normaliser alone (issue 14): normalises every article body of a
// scripts/gen-corpus JSON Lines file, several passes, and prints MB/s of input (CPU time of this
// thread). Used by `scripts/bench --normalizer`; not a test.
//
//     normalizer-bench CORPUS.jsonl [PASSES]
import Foundation
import PolicyMatcher

let args = CommandLine.arguments
guard args.count >= 2, let data = FileManager.default.contents(atPath: args[1]) else {
    FileHandle.standardError.write("usage: normalizer-bench CORPUS.jsonl [PASSES]\n".data(using: .utf8)!)
    exit(2)
}
let passes = args.count >= 3 ? max(1, Int(args[2]) ?? 3) : 3
var bodies: [String] = []
for line in data.split(separator: UInt8(ascii: "\n")) {
    if let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
        if let t = obj["title"] as? String { bodies.append(t) }
        if let b = obj["body"] as? String { bodies.append(b) }
    }
}
for i in bodies.indices { bodies[i].makeContiguousUTF8() }
let inputBytes = bodies.reduce(0) { $0 + $1.utf8.count }

func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

var normalizer = TextNormalizer()
var checksum = 0
var best = Double.infinity
for _ in 0..<passes {
    let t0 = cpuSeconds()
    for b in bodies {
        let n = normalizer.normalize(b)
        checksum &+= n.bytes.count &+ n.wordStarts.count
    }
    best = min(best, cpuSeconds() - t0)
}
let mb = Double(inputBytes) / 1e6
print(String(format: "{\"input_mb\": %.2f, \"articles\": %d, \"passes\": %d, \"best_cpu_s\": %.4f, \"mb_per_s\": %.1f, \"checksum\": %d}",
             mb, bodies.count, passes, best, mb / best, checksum))

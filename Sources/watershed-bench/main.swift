// watershed-bench: times DeepCellKit's deep_watershed on two .npy maps (used by
// bench/watershed.sh, which runs the Python reference on the same input).
//
//   watershed-bench INNER.npy OUTER.npy [--peak-local-max] [--runs N] [--threads N] [--out LABELS.npy]
//
// Prints one line: `median_s=… min_s=… frames=… objects=…`.
import DeepCellKit
import Foundation

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("watershed-bench: error: \(message)\n".utf8))
  exit(64)
}

var paths: [String] = []
var runs = 5
var threads = 0
var outPath: String?
var parameters = DeepWatershedParameters()
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
  let a = args.removeFirst()
  switch a {
  case "--peak-local-max": parameters.maximaAlgorithm = .peakLocalMax
  case "--runs", "--threads", "--out":
    guard !args.isEmpty else { fail("\(a) needs a value") }
    let value = args.removeFirst()
    if a == "--out" {
      outPath = value
    } else {
      guard let n = Int(value) else { fail("\(a) needs a number") }
      if a == "--runs" { runs = n } else { threads = n }
    }
  default: paths.append(a)
  }
}
guard paths.count == 2 else {
  fail(
    "usage: watershed-bench INNER.npy OUTER.npy [--peak-local-max] [--runs N] [--threads N] [--out LABELS.npy]"
  )
}
do {
  let maps = try paths.map { path -> NDArray in
    guard let data = FileManager.default.contents(atPath: path) else {
      fail("\(path): cannot read")
    }
    return try NPY.decode([UInt8](data), subject: path)
  }
  var labels = try DeepWatershed.segment(outputs: maps, parameters: parameters, threads: threads)  // warm-up
  var times: [Double] = []
  for _ in 0..<max(runs, 1) {
    let t0 = DispatchTime.now().uptimeNanoseconds
    labels = try DeepWatershed.segment(outputs: maps, parameters: parameters, threads: threads)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
  }
  times.sort()
  if let outPath {
    try Data(NPY.encode(labels)).write(to: URL(fileURLWithPath: outPath))
  }
  let frames = labels.shape[0]
  let objects = labels.integerValues().max() ?? 0
  print(
    String(
      format: "median_s=%.6f min_s=%.6f frames=%d max_label=%d", times[times.count / 2], times[0],
      frames, objects))
} catch {
  fail("\(error)")
}

import Foundation

/// The input bytes as a CTC folder: the text up to the first NUL byte is the track table, the
/// rest one or more TIFF masks separated by the bytes `--mask--` (at most 8). The folder is
/// read as `dc-track RES --lineage FILE` reads it (``TrackingJob``) and evaluated against a
/// copy of itself as ground truth as `dc-metrics track RES --truth GT` does
/// (``CTCFolderEvaluation``).
func fuzzCTCFolder(_ data: UnsafePointer<UInt8>, _ size: Int) {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let split = bytes.firstIndex(of: 0) ?? bytes.count
  let table = Data(bytes[..<split])
  var masks: [[UInt8]] = []
  if split < bytes.count {
    let marker = Array("--mask--".utf8)
    var rest = bytes[(split + 1)...]
    while masks.count < 8 {
      if let at = fuzzFind(marker, in: rest) {
        masks.append(Array(rest[..<at]))
        rest = rest[(at + marker.count)...]
      } else {
        masks.append(Array(rest))
        break
      }
    }
  }
  let root = NSTemporaryDirectory() + "dc-fuzz-\(getpid())-ctc"
  defer { try? FileManager.default.removeItem(atPath: root) }
  let res = root + "/RES"
  let tra = root + "/GT/TRA"
  do {
    try FileManager.default.createDirectory(atPath: res, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: tra, withIntermediateDirectories: true)
    try table.write(to: URL(fileURLWithPath: res + "/res_track.txt"))
    try table.write(to: URL(fileURLWithPath: tra + "/man_track.txt"))
    for (t, mask) in masks.enumerated() {
      let name = String(format: "%03d.tif", t)
      try Data(mask).write(to: URL(fileURLWithPath: res + "/mask" + name))
      try Data(mask).write(to: URL(fileURLWithPath: tra + "/man_track" + name))
    }
  } catch { return }
  if let job = try? TrackingJob(input: res) {
    _ = try? job.run(
      parameters: TrackingParameters(), outputs: TrackingOutputs(lineage: root + "/lineage.json"))
  }
  _ = try? CTCFolderEvaluation.evaluate(resultFolder: res, truthFolder: root + "/GT", threads: 1)
}

/// The index of the first occurrence of `needle` in `haystack`.
func fuzzFind(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
  guard haystack.count >= needle.count else { return nil }
  var i = haystack.startIndex
  while i <= haystack.endIndex - needle.count {
    if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
    i += 1
  }
  return nil
}

import Foundation

/// The input bytes as a `.trk` file (gzip-compressed or plain tar; the `trk` and `tar`
/// targets differ only in their seeds), opened with ``TRKFile`` (tar headers, PAX and GNU long
/// names, the lineage JSON, both NPY members, the lineage checked against the masks), its
/// frames read, and then converted as `dc-track FILE --ctc DIR --lineage FILE` does
/// (``TrackingJob``).
func fuzzTRK(_ data: UnsafePointer<UInt8>, _ size: Int) {
  guard let path = fuzzScratchPath(data, size, suffix: ".trk") else { return }
  let out = NSTemporaryDirectory() + "dc-fuzz-\(getpid())-out"
  defer {
    unlink(path)
    try? FileManager.default.removeItem(atPath: out)
  }
  if let trk = try? TRKFile(path: path) {
    for i in 0..<min(trk.tracked.frameCount, 16) {
      _ = try? trk.tracked.readFrame(i)
      _ = try? trk.raw.readFrame(i)
    }
    _ = trk.lineage.history().trackTable().text()
  }
  guard
    (try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true))
      != nil
  else { return }
  if let job = try? TrackingJob(input: path) {
    _ = try? job.run(
      parameters: TrackingParameters(),
      outputs: TrackingOutputs(ctcFolder: out + "/RES", lineage: out + "/lineage.json"))
  }
}

import Foundation

/// The one libFuzzer entry point of `fuzz/out/fuzz-dc`: runs the harness named by
/// `DC_FUZZ_TARGET` (set by fuzz/run.sh) on each input. Every harness is a function of the
/// input bytes; errors (`DeepCellError`) are the expected outcome, and crashes, AddressSanitizer
/// reports, leaks, out-of-memory and hangs are the findings.
let fuzzHarnesses: [String: (UnsafePointer<UInt8>, Int) -> Void] = [
  "tiff": fuzzTIFF, "png": fuzzPNG, "npy": fuzzNPY, "npz": fuzzNPZ, "trk": fuzzTRK,
  "tar": fuzzTRK, "gzip": fuzzGzip, "lineage": fuzzLineage, "ctctrack": fuzzCTCTrack,
  "ctcfolder": fuzzCTCFolder,
]

/// The harness chosen for this process.
let fuzzHarness: (UnsafePointer<UInt8>, Int) -> Void = {
  let name = ProcessInfo.processInfo.environment["DC_FUZZ_TARGET"] ?? ""
  guard let harness = fuzzHarnesses[name] else {
    let names = fuzzHarnesses.keys.sorted().joined(separator: ", ")
    fputs("fuzz-dc: set DC_FUZZ_TARGET to one of: \(names)\n", stderr)
    exit(64)
  }
  return harness
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  fuzzHarness(data, size)
  return 0
}

/// The bytes written to a fresh scratch path ending in `suffix`, for readers that take a path;
/// nil when it cannot be written. The caller removes it.
func fuzzScratchPath(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String) -> String? {
  let path = NSTemporaryDirectory() + "dc-fuzz-\(getpid())\(suffix)"
  guard let file = fopen(path, "wb") else { return nil }
  let written = fwrite(data, 1, size, file)
  fclose(file)
  return written == size ? path : nil
}

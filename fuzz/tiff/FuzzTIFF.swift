import Foundation

/// The input bytes as a TIFF file, opened with ``TIFFStackReader`` and every frame (up to 64)
/// decoded; then as every tool opens a file (``InputFile``: OME-XML or ImageJ dimensions,
/// channel layout) with up to 64 frames of its stack read, and its provenance record (the
/// `dc_tools` entry of an ImageJ description or the OME-XML `MapAnnotation`) parsed.
func fuzzTIFF(_ data: UnsafePointer<UInt8>, _ size: Int) {
  guard let path = fuzzScratchPath(data, size, suffix: ".tif") else { return }
  defer { unlink(path) }
  do {
    let reader = try TIFFStackReader(path: path)
    for i in 0..<min(reader.frameCount, 64) { _ = try reader.readFrame(i) }
  } catch {}
  guard let file = try? InputFile(path: path) else { return }
  _ = try? file.provenance()
  do {
    let stack = try file.stackReader(name: nil)
    for i in 0..<min(stack.frameCount, 64) { _ = try stack.readFrame(i) }
  } catch {}
}

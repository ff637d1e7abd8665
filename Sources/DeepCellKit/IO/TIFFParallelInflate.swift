import CTIFF
import CZlib
import Dispatch

/// Decodes the deflate-compressed strips `first ..< first + count` of the page libtiff has
/// loaded on all cores: the raw strips are read in order, then each is inflated with zlib on
/// its own (strips are independent streams, so the result does not depend on the thread
/// count). Applies only to strips without predictor and in native byte order, which the
/// caller checks. Returns false when a strip is not a clean zlib stream of exactly its
/// expected size, so the caller can decode the page with libtiff and report its message.
func inflateStripsInParallel(
  _ handle: TIFFHandle, first: Int, count: Int, rowsPerStrip: Int, height: Int, rowBytes: Int,
  fileSize: UInt64, into dst: UnsafeMutableRawPointer
) -> Bool {
  let tif = handle.tif
  var offsets = [Int](repeating: 0, count: count + 1)
  for s in 0..<count {
    let size = TIFFGetStrileByteCount(tif, UInt32(first + s))
    guard size > 0, size <= fileSize else { return false }
    offsets[s + 1] = offsets[s] + Int(size)
  }
  guard UInt64(offsets[count]) <= fileSize else { return false }
  var raw = [UInt8](repeating: 0, count: offsets[count])
  let read = raw.withUnsafeMutableBytes { buffer -> Bool in
    for s in 0..<count {
      let size = offsets[s + 1] - offsets[s]
      guard
        TIFFReadRawStrip(tif, UInt32(first + s), buffer.baseAddress! + offsets[s], tmsize_t(size))
          == size
      else { return false }
    }
    return true
  }
  guard read else { return false }
  var failures = [Bool](repeating: false, count: count)
  raw.withUnsafeBytes { source in
    failures.withUnsafeMutableBufferPointer { failed in
      DispatchQueue.concurrentPerform(iterations: count) { s in
        let rows = min(rowsPerStrip, height - s * rowsPerStrip)
        let expected = rows * rowBytes
        var produced = uLongf(expected)
        let status = uncompress(
          (dst + s * rowsPerStrip * rowBytes).assumingMemoryBound(to: Bytef.self), &produced,
          (source.baseAddress! + offsets[s]).assumingMemoryBound(to: Bytef.self),
          uLong(offsets[s + 1] - offsets[s]))
        failed[s] = status != Z_OK || Int(produced) != expected
      }
    }
  }
  return !failures.contains(true)
}

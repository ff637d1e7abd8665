import Foundation

/// Frame-by-frame access to a `.npy` file on disk (a member extracted from a `.trk`), reading
/// only one frame's bytes at a time. A Fortran-ordered array is read whole on first use.
final class TRKMemberReader: StackReader {
  let url: URL
  let header: NPY.Header
  let frameCount: Int
  let frameShape: [Int]
  var dtype: DType { header.dtype }
  private let handle: FileHandle
  private var whole: NDArray?
  private let subject: String

  /// Opens `url`, whose array has rank 3 `(T, H, W)` or 4 `(T, H, W, C)`.
  init(url: URL, subject: String) throws {
    self.url = url
    self.subject = subject
    do { handle = try FileHandle(forReadingFrom: url) } catch {
      throw DeepCellError(.noInput, subject, "cannot open \(url.lastPathComponent)")
    }
    let prefix = try handle.read(upToCount: 1 << 16) ?? Data()
    header = try NPY.parseHeader([UInt8](prefix), subject: subject)
    guard header.shape.count == 3 || header.shape.count == 4 else {
      throw DeepCellError(
        .badData, subject,
        "array of shape \(header.shape) is not a (frames, height, width[, channels]) movie")
    }
    frameCount = header.shape[0]
    frameShape = [header.shape[1], header.shape[2], header.shape.count == 4 ? header.shape[3] : 1]
    let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
    guard size >= header.dataOffset + header.dataBytes else {
      throw DeepCellError(.badData, subject, "truncated NPY data")
    }
  }

  deinit { try? handle.close() }

  func readFrame(_ index: Int) throws -> NDArray {
    precondition(index >= 0 && index < frameCount)
    let frameElements = frameShape.reduce(1, *)
    if header.fortranOrder {
      if whole == nil {
        try handle.seek(toOffset: UInt64(header.dataOffset))
        let data = try handle.read(upToCount: header.dataBytes) ?? Data()
        whole = NPY.array(header: header, data: [UInt8](data))
      }
      return whole!.frame(index).reshaped(frameShape)
    }
    let bytes = frameElements * header.dtype.size
    do {
      try handle.seek(toOffset: UInt64(header.dataOffset + index * bytes))
      let data = try handle.read(upToCount: bytes) ?? Data()
      guard data.count == bytes else {
        throw DeepCellError(.badData, subject, "truncated NPY data")
      }
      var frameHeader = header
      frameHeader.shape = frameShape
      return NPY.array(header: frameHeader, data: [UInt8](data))
    } catch let e as DeepCellError {
      throw e
    } catch {
      throw DeepCellError(.io, subject, "read failed: \(error.localizedDescription)")
    }
  }
}

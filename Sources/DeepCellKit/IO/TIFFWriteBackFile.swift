import CTIFF
import Foundation

/// The file under a ``TIFFStackWriter``, handed to libtiff as client I/O (`TIFFClientOpenExt`):
/// writes that follow one another at the end of the file (the strips of consecutive pages)
/// are gathered in a 16 MiB buffer and written with one `pwrite`, since many 512 KiB writes
/// cost the kernel about 40% more than a few large ones. The file's head (header and IFDs,
/// up to the first large write) is kept in memory: libtiff's many small reads and rewrites
/// there (revisiting an IFD, patching its strip arrays) touch only that copy, which reaches
/// the file in one write at close. Other reads and writes go straight to the file, flushing
/// what they touch first.
final class TIFFWriteBackFile {
  static let capacity = 16 << 20
  /// Writes at least this large go straight to the file.
  static let directWriteMinimum = 1 << 18

  let path: String
  private let fd: Int32
  private var position: UInt64 = 0
  /// Logical size: bytes on disk plus those pending.
  private var size: UInt64 = 0
  private let pending: UnsafeMutableRawPointer
  private var pendingStart: UInt64 = 0
  private var pendingCount = 0
  private var isClosed = false
  /// A copy of the file's first bytes (header and IFDs, written before any pixel data), so
  /// libtiff's many small reads when it revisits an IFD are served from memory. Grows with
  /// the small writes at the start of the file; frozen at the first large write or 64 MiB.
  private var mirror = [UInt8]()
  private var mirrorFrozen = false
  /// The part of the mirror not yet on disk: writes that fall inside the mirror (the IFDs,
  /// and libtiff's later patches of their strip arrays) only change the mirror, which goes
  /// to the file in one write when a read needs it or at close, instead of hundreds of
  /// small writes.
  private var mirrorDirty: Range<Int>?
  static let mirrorLimit = 64 << 20
  /// The first system error, if a read, write or close failed.
  private(set) var failure: String?

  /// Creates (truncates) `path` for reading and writing.
  init(path: String) throws {
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw DeepCellError(.cannotCreate, path, String(cString: strerror(errno)))
    }
    self.path = path
    self.fd = fd
    pending = UnsafeMutableRawPointer.allocate(byteCount: Self.capacity, alignment: 64)
  }

  deinit {
    if !isClosed { _ = close() }
    pending.deallocate()
  }

  private var pendingEnd: UInt64 { pendingStart + UInt64(pendingCount) }

  private func overlapsPending(_ start: UInt64, _ count: Int) -> Bool {
    pendingCount > 0 && start < pendingEnd && start + UInt64(count) > pendingStart
  }

  private func record(_ what: String) {
    if failure == nil { failure = "\(what): \(String(cString: strerror(errno)))" }
  }

  /// Writes `count` bytes at `offset` completely; false on error.
  private func writeFully(_ bytes: UnsafeRawPointer, _ count: Int, at offset: UInt64) -> Bool {
    var done = 0
    while done < count {
      let n = pwrite(fd, bytes + done, count - done, off_t(offset) + off_t(done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        record("write failed")
        return false
      }
      done += n
    }
    return true
  }

  /// Writes the pending bytes out.
  func flush() -> Bool {
    guard pendingCount > 0 else { return true }
    let ok = writeFully(pending, pendingCount, at: pendingStart)
    pendingCount = 0
    return ok
  }

  /// Writes the mirror's dirty range to the file; false on error.
  private func flushMirror() -> Bool {
    guard let dirty = mirrorDirty else { return true }
    mirrorDirty = nil
    return mirror.withUnsafeBytes {
      writeFully($0.baseAddress! + dirty.lowerBound, dirty.count, at: UInt64(dirty.lowerBound))
    }
  }

  /// Whether `count` bytes at `offset` lie wholly inside the mirror.
  private func insideMirror(_ offset: UInt64, _ count: Int) -> Bool {
    offset + UInt64(count) <= UInt64(mirror.count)
  }

  /// Whether `count` bytes at `offset` touch the mirror's unwritten range.
  private func overlapsMirrorDirty(_ offset: UInt64, _ count: Int) -> Bool {
    guard let dirty = mirrorDirty else { return false }
    return offset < UInt64(dirty.upperBound) && offset + UInt64(count) > UInt64(dirty.lowerBound)
  }

  /// Keeps the mirror the newest copy of the file over its range after a write of `count`
  /// bytes at `offset`.
  private func updateMirror(_ bytes: UnsafeRawPointer, _ count: Int, at offset: UInt64) {
    if !mirrorFrozen {
      // libtiff writes an IFD's values before its entry table: small writes may land
      // beyond the mirror's end, the gap is filled by the writes that follow.
      let end = Int(offset) + count
      if count >= 1 << 16 || end > Self.mirrorLimit {
        mirrorFrozen = true
      } else if end > mirror.count {
        mirror.append(contentsOf: repeatElement(0, count: end - mirror.count))
      }
    }
    guard offset < UInt64(mirror.count) else { return }
    let start = Int(offset)
    let n = min(count, mirror.count - start)
    mirror.withUnsafeMutableBytes {
      ($0.baseAddress! + start).copyMemory(from: bytes, byteCount: n)
    }
  }

  func read(_ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    if position + UInt64(count) <= UInt64(mirror.count) {
      let start = Int(position)
      mirror.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + start, byteCount: count) }
      position += UInt64(count)
      return count
    }
    if overlapsPending(position, count) && !flush() { return -1 }
    if overlapsMirrorDirty(position, count) && !flushMirror() { return -1 }
    var done = 0
    while done < count {
      let n = pread(fd, buffer + done, count - done, off_t(position) + off_t(done))
      if n < 0 && errno == EINTR { continue }
      if n < 0 {
        record("read failed")
        return -1
      }
      if n == 0 { break }
      done += n
    }
    position += UInt64(done)
    return done
  }

  func write(_ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    updateMirror(buffer, count, at: position)
    if count < Self.directWriteMinimum && insideMirror(position, count) {
      let range = Int(position)..<(Int(position) + count)
      mirrorDirty =
        mirrorDirty.map {
          min($0.lowerBound, range.lowerBound)..<max($0.upperBound, range.upperBound)
        } ?? range
      position += UInt64(count)
      size = max(size, position)
      return count
    }
    if count >= Self.directWriteMinimum {
      // A whole uncompressed plane: write it in place rather than copying it through the
      // buffer (the copy cost more than the larger write saved).
      if pendingCount > 0 { guard flush() else { return -1 } }
      guard writeFully(buffer, count, at: position) else { return -1 }
      position += UInt64(count)
      size = max(size, position)
      return count
    }
    if pendingCount > 0 && position == pendingEnd && pendingCount + count <= Self.capacity {
      (pending + pendingCount).copyMemory(from: buffer, byteCount: count)
      pendingCount += count
    } else {
      if overlapsPending(position, count) || (pendingCount > 0 && position == pendingEnd) {
        guard flush() else { return -1 }
      }
      if pendingCount == 0 && position >= size && count < Self.capacity {
        pendingStart = position
        pending.copyMemory(from: buffer, byteCount: count)
        pendingCount = count
      } else if !writeFully(buffer, count, at: position) {
        return -1
      }
    }
    position += UInt64(count)
    size = max(size, position)
    return count
  }

  func seek(_ offset: UInt64, _ whence: Int32) -> UInt64 {
    switch whence {
    case SEEK_CUR: position = position &+ offset
    case SEEK_END: position = size &+ offset
    default: position = offset
    }
    return position
  }

  var fileSize: UInt64 { size }

  /// Flushes and closes the descriptor; 0 on success.
  func close() -> Int32 {
    guard !isClosed else { return 0 }
    isClosed = true
    let flushed = flush() && flushMirror()
    let closed = Foundation.close(fd) == 0
    if !closed { record("close failed") }
    return flushed && closed ? 0 : -1
  }
}

private func file(_ handle: thandle_t?) -> TIFFWriteBackFile {
  Unmanaged<TIFFWriteBackFile>.fromOpaque(handle!).takeUnretainedValue()
}

/// libtiff's client I/O procedures over a ``TIFFWriteBackFile`` (no memory mapping).
enum TIFFWriteBackProcs {
  static let read: TIFFReadWriteProc = { handle, buffer, count in
    tmsize_t(file(handle).read(buffer!, Int(count)))
  }
  static let write: TIFFReadWriteProc = { handle, buffer, count in
    tmsize_t(file(handle).write(buffer!, Int(count)))
  }
  static let seek: TIFFSeekProc = { handle, offset, whence in file(handle).seek(offset, whence) }
  static let close: TIFFCloseProc = { handle in file(handle).close() }
  static let size: TIFFSizeProc = { handle in file(handle).fileSize }
  static let map: TIFFMapFileProc = { _, _, _ in 0 }
  static let unmap: TIFFUnmapFileProc = { _, _, _ in }
}

import CTIFF
import Foundation

/// The file under a ``TIFFStackWriter``, handed to libtiff as client I/O (`TIFFClientOpenExt`):
/// small writes that follow one another at the end of the file (compressed strips of
/// consecutive pages) are gathered in a 16 MiB buffer and written with one `pwrite`, and
/// large uncompressed pages are written in place at once, from the caller's buffer, so a
/// stream of frames reuses one frame's memory (holding 64 MiB of frames for one `pwritev`
/// faulted 16,000 fresh pages into a 400-frame conversion and cost more than it saved:
/// bench/results/convert.md). The file's head (header and
/// IFDs, up to the first large write) is kept in memory: the many small reads and rewrites
/// there (libtiff revisiting an IFD, strip arrays patched, IFDs copied) touch only that copy,
/// which reaches the file in one write at close. Other reads and writes go straight to the
/// file, flushing what they touch first.
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
    let fd = openEmptiedForWriting(path, flags: O_RDWR | O_CLOEXEC, mode: 0o644)
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

  /// Calls `attempt(done)`, a write of the bytes from `done` on that returns what it wrote,
  /// until `total` bytes are written, again after EINTR; false, the error recorded, on failure.
  private func writeCompletely(_ total: Int, _ attempt: (Int) -> Int) -> Bool {
    var done = 0
    while done < total {
      let n = attempt(done)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        record("write failed")
        return false
      }
      done += n
    }
    return true
  }

  /// Writes `count` bytes at `offset` completely; false on error.
  private func writeFully(_ bytes: UnsafeRawPointer, _ count: Int, at offset: UInt64) -> Bool {
    writeCompletely(count) { done in
      pwrite(fd, bytes + done, count - done, off_t(offset) + off_t(done))
    }
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
        // Grow by the gap (zeros) and the part of the write past the end, copied in bulk:
        // thousands of small pages append here.
        let start = Int(offset)
        if start > mirror.count {
          mirror.append(contentsOf: [UInt8](repeating: 0, count: start - mirror.count))
        }
        let inside = mirror.count - start
        mirror.append(
          contentsOf: UnsafeRawBufferPointer(start: bytes + inside, count: count - inside))
        if inside == 0 { return }
        mirror.withUnsafeMutableBytes {
          ($0.baseAddress! + start).copyMemory(from: bytes, byteCount: inside)
        }
        return
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

  /// Asks the file system to allocate `count` bytes at `offset` ahead of the writes that
  /// will fill them (`fallocate` with `FALLOC_FL_KEEP_SIZE`, as tifffile does), so the
  /// writes find their blocks in place: on ext4, writing 52 MB in 512 KiB or larger pieces
  /// took 20–23 ms after it against 27–79 ms without. Best effort: a file system without
  /// `fallocate` (tmpfs before Linux 3.5, some network file systems) just writes as before.
  func reserve(at offset: UInt64, count: Int) {
    guard count > 0 else { return }
    _ = dc_reserve_file_range(fd, off_t(offset), off_t(count))
  }

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

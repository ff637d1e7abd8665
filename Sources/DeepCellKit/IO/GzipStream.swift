import CZlib
import Foundation

/// Streaming gzip compression (RFC 1952, zlib's `deflate` with a gzip wrapper) into a file,
/// for writing `.trk` archives (spec/track.md §5: a `w:gz` tar) without holding them in memory.
final class GzipWriter {
  private var stream = z_stream()
  private let handle: FileHandle
  private let subject: String
  private var buffer = [UInt8](repeating: 0, count: 1 << 16)
  private var open = false

  /// Starts a gzip stream written to `handle`.
  init(handle: FileHandle, level: Int32 = 6, subject: String) throws {
    self.handle = handle
    self.subject = subject
    let status = deflateInit2_(
      &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
      Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      throw DeepCellError(.io, subject, "cannot start gzip compression (zlib \(status))")
    }
    open = true
  }

  deinit { if open { deflateEnd(&stream) } }

  /// Compresses and writes `bytes`.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard bytes.count > 0 else { return }
    var offset = 0
    while offset < bytes.count {
      let chunk = min(bytes.count - offset, Int(UInt32.max / 2))
      stream.next_in = UnsafeMutablePointer(
        mutating: bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(chunk)
      try pump(flush: Z_NO_FLUSH)
      offset += chunk
    }
  }

  /// Compresses and writes `bytes`.
  func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

  /// Ends the stream (trailer with CRC-32 and length).
  func finish() throws {
    stream.next_in = nil
    stream.avail_in = 0
    try pump(flush: Z_FINISH)
    deflateEnd(&stream)
    open = false
  }

  private func pump(flush: Int32) throws {
    let size = buffer.count
    while true {
      let (status, produced): (Int32, Int) = buffer.withUnsafeMutableBytes { out in
        stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(size)
        let s = deflate(&stream, flush)
        return (s, size - Int(stream.avail_out))
      }
      guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
        throw DeepCellError(.io, subject, "gzip compression failed (zlib \(status))")
      }
      if produced > 0 {
        do { try handle.write(contentsOf: buffer[0..<produced]) } catch {
          throw DeepCellError(.io, subject, "write failed: \(error.localizedDescription)")
        }
      }
      if flush == Z_FINISH {
        if status == Z_STREAM_END { return }
      } else if stream.avail_in == 0 && produced < size {
        return
      }
    }
  }
}

/// A sequential byte source over a file that may be gzip-compressed (detected from the magic
/// bytes `1f 8b`; concatenated gzip members are read as one stream), as `.trk` readers
/// accept both `w:gz` and plain tar archives.
final class MaybeGzipReader {
  private let handle: FileHandle
  private let subject: String
  private var compressed = false
  private var stream = z_stream()
  private var input = [UInt8]()
  private var inputOffset = 0
  private var inputEnded = false
  private var streamEnded = false

  /// Opens `handle` for reading from its current position.
  init(handle: FileHandle, subject: String) throws {
    self.handle = handle
    self.subject = subject
    try refill()
    if input.count >= 2 && input[0] == 0x1F && input[1] == 0x8B {
      compressed = true
      let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
      guard status == Z_OK else {
        throw DeepCellError(.io, subject, "cannot start gzip decompression (zlib \(status))")
      }
    }
  }

  deinit { if compressed { inflateEnd(&stream) } }

  private func refill() throws {
    let data: Data?
    do { data = try handle.read(upToCount: 1 << 16) } catch {
      throw DeepCellError(.io, subject, "read failed: \(error.localizedDescription)")
    }
    if let data, !data.isEmpty {
      input = [UInt8](data)
    } else {
      input = []
      inputEnded = true
    }
    inputOffset = 0
  }

  /// Reads exactly `count` bytes into `out`, or fewer only at the end of the data; returns
  /// the number read.
  func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
    var filled = 0
    while filled < out.count {
      if !compressed {
        if inputOffset >= input.count {
          if inputEnded { break }
          try refill()
          if input.isEmpty { break }
        }
        let n = min(out.count - filled, input.count - inputOffset)
        input.withUnsafeBytes { src in
          out.baseAddress!.advanced(by: filled).copyMemory(
            from: src.baseAddress!.advanced(by: inputOffset), byteCount: n)
        }
        inputOffset += n
        filled += n
        continue
      }
      if streamEnded {
        // Another gzip member may follow.
        if inputOffset >= input.count && !inputEnded { try refill() }
        if inputOffset >= input.count { break }
        inflateReset(&stream)
        streamEnded = false
      }
      if inputOffset >= input.count {
        if inputEnded { throw DeepCellError(.badData, subject, "gzip stream is truncated") }
        try refill()
        if input.isEmpty { throw DeepCellError(.badData, subject, "gzip stream is truncated") }
      }
      let want = out.count - filled
      let available = input.count - inputOffset
      let start = inputOffset
      let (status, consumed, produced): (Int32, Int, Int) = input.withUnsafeMutableBytes { src in
        stream.next_in = src.baseAddress!.advanced(by: start).assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(available)
        stream.next_out = out.baseAddress!.advanced(by: filled).assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(min(want, Int(UInt32.max / 2)))
        let before = Int(stream.avail_in)
        let beforeOut = Int(stream.avail_out)
        let s = inflate(&stream, Z_NO_FLUSH)
        return (s, before - Int(stream.avail_in), beforeOut - Int(stream.avail_out))
      }
      inputOffset += consumed
      filled += produced
      if status == Z_STREAM_END {
        streamEnded = true
      } else if status != Z_OK && !(status == Z_BUF_ERROR && (consumed > 0 || produced > 0)) {
        throw DeepCellError(.badData, subject, "corrupt gzip data (zlib \(status))")
      }
    }
    return filled
  }

  /// Reads and drops exactly `count` bytes, a block at a time (a member's declared size is
  /// never allocated); throws `badData` when the data ends first.
  func skip(_ count: Int) throws {
    var buffer = [UInt8](repeating: 0, count: min(count, 1 << 16))
    var remaining = count
    while remaining > 0 {
      let n = min(remaining, buffer.count)
      let got = try buffer.withUnsafeMutableBytes {
        try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]))
      }
      guard got == n else { throw DeepCellError(.badData, subject, "archive is truncated") }
      remaining -= n
    }
  }

  /// Reads exactly `count` bytes; throws `badData` when the data ends first.
  func readExactly(_ count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    let n = try out.withUnsafeMutableBytes { try read(into: $0) }
    guard n == count else { throw DeepCellError(.badData, subject, "archive is truncated") }
    return out
  }
}
